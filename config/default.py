# Values shared by every environment. Each key is declared and documented in cgcrm/settings/;
# CGCRM_<KEY> environment variables override anything set here.
DEFAULT_PHONE_REGION = "AU"
DEFAULT_COUNTRY = "AU"
PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 200
