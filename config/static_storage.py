"""Scripts and styles under names that carry a hash of their content, so a phone may keep them for good (issue 22).

WhiteNoise's CompressedManifestStaticFilesStorage is Django's ManifestStaticFilesStorage plus gzip copies made at
collectstatic; WhiteNoise serves a hashed name with `Cache-Control: max-age=315360000, public, immutable`. Our page
scripts are ES modules that import each other (`import … from "./common.js"`): Django rewrites those imports to
the hashed names only with `support_js_module_import_aggregation` (a documented attribute of the manifest
storage). Without it base.<hash>.js would import the unhashed common.js, a second copy of the module beside the
hashed one the page preloads.
"""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedModulesStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
