# Production takes its secrets from the environment (CGCRM_SECRET_KEY, CGCRM_DATABASE_URL,
# CGCRM_ENCRYPTION_KEYS, CGCRM_JWT_PRIVATE_KEY_FILE, CGCRM_AUDIT_KEYS); the application refuses
# to start without any of them. Only non-secret defaults belong here.
LOG_LEVEL = "INFO"
