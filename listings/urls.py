from django.urls import path

from listings import views

app_name = "listings"

urlpatterns = [
    path("ml/shop/gpu/<slug:slug>/", views.shop_gpu, name="shop-gpu"),
    path("go/<int:pk>/", views.go, name="go"),
]
