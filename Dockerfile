# One image for the hook server and the Job CLI (`pinot-control-plane serve|apply|delete`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hooks ./hooks
# Wheels for the project and every dependency, so the runtime stage needs no compiler or network.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin pinot-cp
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels pinot-control-plane && rm -rf /wheels
COPY templates /opt/pinot-control-plane/templates
ENV PINOT_CP_TEMPLATES=/opt/pinot-control-plane/templates \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["pinot-control-plane"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--probe-port", "8081"]
