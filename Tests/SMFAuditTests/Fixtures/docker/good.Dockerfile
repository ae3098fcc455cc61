# Multi-stage, pinned, non-root, health-checked, hygienic.
FROM swift:6.3-noble AS build
WORKDIR /src
COPY . .
RUN swift build -c release

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 app
COPY --from=build /src/.build/release/app /app/app
USER 10001:10001
HEALTHCHECK --interval=15s CMD ["/app/app", "healthcheck"]
ENTRYPOINT ["/app/app"]
