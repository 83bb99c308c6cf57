"""Support: phone intake (find and confirm the caller), later questions with promised answer times."""
