from django.urls import path

from listings import views

app_name = "listings"

# A card's shop page shows metrics' going rates and price history, so metrics serves it
# (metrics:shop-gpu) with every other /ml/shop/ page.
urlpatterns = [
    path("go/<int:pk>/", views.go, name="go"),
    path("ebay/account-deletion/", views.account_deletion, name="account-deletion"),
]
