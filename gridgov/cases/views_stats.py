from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def statistics(request):
    return render(request, "cases/stats.html", {})
