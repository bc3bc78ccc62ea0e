# Copy to instance/config.py and adjust. Environment variables (PORTAL_*) override these.
# In development, `make run` writes instance/config.py with a generated SECRET_KEY when there is
# none (and never overwrites one); the server it starts runs with PORTAL_ENV=development.

# Required in production. Generate with: python -c 'import secrets; print(secrets.token_hex(32))'
SECRET_KEY = "change-me"

# Any SQLAlchemy URL; plain postgresql:// uses psycopg 3.
# SQLALCHEMY_DATABASE_URI = "postgresql://portal@127.0.0.1:5432/portal"

# Rate-limit storage shared by all gunicorn workers.
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

# Outgoing mail: "file" writes .eml files to instance/mail/; "smtp" sends.
# MAIL_BACKEND = "smtp"
# MAIL_SENDER = "社区治理案例共享平台 <noreply@example.org>"
# SMTP_HOST = "smtp.example.org"
# SMTP_PORT = 587
# SMTP_STARTTLS = True
# SMTP_USER = ""
# SMTP_PASSWORD = ""

# Public address used in links inside e-mails.
# BASE_URL = "https://cases.example.org"
