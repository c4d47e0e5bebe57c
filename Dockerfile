# OnAir: one image serving the API and the app on one port.
# Build:  docker build -t onair .
# Run:    docker run -p 3000:3000 -e LIVEKIT_URL=wss://... -e LIVEKIT_API_KEY=... \
#           -e LIVEKIT_API_SECRET=... -e PUBLIC_URL=https://onair.example.com onair
# The same steps run outside Docker with `cargo xtask build` (target/release/onair and the app
# in frontend/dist; it installs wasm-bindgen-cli pinned, and the app's npm packages).
# Probes: GET /healthz (liveness), GET /readyz (LiveKit reachable); the image's HEALTHCHECK runs
# `onair healthcheck` (no curl in the image). SIGTERM drains requests in flight, then exits 0.
# `cargo xtask image` builds this file unchanged with podman and checks the result.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV ONAIR_TOOLS_DIR=/opt/onair-tools
# The cache mounts keep the pinned tools (wasm-bindgen), crates, npm packages and compiled
# dependencies between builds on one machine, so a rebuild after a code change takes minutes.
# The image's binary is stripped of its symbol table (22 MB instead of 30 MB); panics still
# name their file and line.
RUN --mount=type=cache,target=/opt/onair-tools \
    --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/root/.npm \
    --mount=type=cache,target=/src/target \
    cargo xtask build \
    && mkdir -p /out \
    && cp target/release/onair /out/onair \
    && strip /out/onair

FROM debian:bookworm-slim
# The S3 client trusts the system's roots (LiveKit's and the identity provider's clients carry
# webpki roots): the bundle alone is copied from the build stage, where installing the
# ca-certificates package here would add openssl and 9.6 MB to the image.
RUN useradd --system --uid 10001 --user-group --no-create-home onair
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
WORKDIR /app
COPY --from=build /out/onair /usr/local/bin/onair
COPY --from=build /src/config/onair.toml /app/config/onair.toml
COPY --from=build /src/frontend/dist /app/frontend/dist
ENV BIND_ADDRESS=0.0.0.0 \
    PORT=3000 \
    STATIC_DIR=/app/frontend/dist \
    LOG_FORMAT=json
# Numeric, so that runtimes enforcing "run as non-root" (Kubernetes runAsNonRoot) can verify it.
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/onair", "healthcheck"]
CMD ["/usr/local/bin/onair"]
