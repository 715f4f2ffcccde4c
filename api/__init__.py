"""The admin HTTP door (FastAPI): routers, auth, schemas."""
