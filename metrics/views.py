from django.shortcuts import render

from catalog.models import Gpu, UseCase


def home(request):
    return render(request, "metrics/home.html", {})


def shop_index(request):
    return render(request, "metrics/shop_index.html", {"gpus": Gpu.objects.all()})


def rankings_index(request):
    return render(request, "metrics/rankings_index.html", {})


def use_case_index(request):
    return render(request, "metrics/use_case_index.html", {"use_cases": UseCase.objects.all()})
