from job import views
from scale.routers import Router

router = Router()
router.register('job-executions', views.JobExecutionViewSet, basename='job-execution')

urlpatterns = router.urls
