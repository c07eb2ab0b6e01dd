from django.urls import path, re_path

from job import views

# Ids are digits only, and short enough to fit a 64-bit integer: anything else is a 404, not a database error.
_ID = r'(?P<pk>[0-9]{1,18})'

urlpatterns = [
    path('job-executions/', views.JobExecutionListView.as_view(), name='job-execution-list'),
    re_path(rf'^job-executions/{_ID}/$', views.JobExecutionDetailsView.as_view(), name='job-execution-details'),
    re_path(rf'^job-executions/{_ID}/logs/$', views.JobExecutionLogsView.as_view(), name='job-execution-logs'),
    re_path(rf'^job-executions/{_ID}/logs/stdout/$', views.JobExecutionLogTextView.as_view(stream='stdout'),
            name='job-execution-stdout'),
    re_path(rf'^job-executions/{_ID}/logs/stderr/$', views.JobExecutionLogTextView.as_view(stream='stderr'),
            name='job-execution-stderr'),
]
