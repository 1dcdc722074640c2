FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
 && OMS_ENV=production SECRET_KEY=build-only-key-not-used-at-runtime-0123456789abcdef ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "oms.wsgi", "--bind", "0.0.0.0:8000"]
