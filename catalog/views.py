from django.shortcuts import render

from catalog.models import Gpu, UseCase


def learn_index(request):
    """Every card, model and use case the site explains."""
    context = {
        "gpus": Gpu.objects.only("slug", "label", "manufacturer", "category"),
        "use_cases": UseCase.objects.all(),
    }
    return render(request, "catalog/learn_index.html", context)
