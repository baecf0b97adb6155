app_name = "air"
urlpatterns = []
