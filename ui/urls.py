from django.urls import path, re_path

from ui import views

urlpatterns = [
    path('', views.executions, name='ui-executions'),
    re_path(r'^ui/executions/(?P<pk>[0-9]{1,18})/$', views.execution, name='ui-execution'),
]
