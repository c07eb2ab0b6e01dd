"""Static files under content-hashed names (cached for a year by browsers), compressed by whitenoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    # The UI's ES modules import each other: their import paths are rewritten to the hashed names too.
    support_js_module_import_aggregation = True

    def stored_name(self, name):
        """The hashed name once `collectstatic` ran (make run, make test, make serve do); the plain one before,
        served from the apps by WHITENOISE_USE_FINDERS, so a test run without collectstatic still renders."""
        try:
            return super().stored_name(name)
        except ValueError:
            return name
