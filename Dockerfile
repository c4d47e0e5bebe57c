# OnAir: one image serving the API and the app on one port.
# Build:  docker build -t onair .
# Run:    docker run -p 3000:3000 -e LIVEKIT_URL=wss://... -e LIVEKIT_API_KEY=... \
#           -e LIVEKIT_API_SECRET=... -e PUBLIC_URL=https://onair.example.com onair
# The same steps run outside Docker with `cargo xtask build` (target/release/onair and the app
# in frontend/dist; it installs trunk and wasm-bindgen-cli pinned, and the app's npm packages).
# Probes: GET /healthz (liveness), GET /readyz (LiveKit reachable).

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV ONAIR_TOOLS_DIR=/opt/onair-tools
RUN cargo xtask build

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 onair
WORKDIR /app
COPY --from=build /src/target/release/onair /usr/local/bin/onair
COPY --from=build /src/config/onair.toml /app/config/onair.toml
COPY --from=build /src/frontend/dist /app/frontend/dist
ENV BIND_ADDRESS=0.0.0.0 \
    PORT=3000 \
    STATIC_DIR=/app/frontend/dist \
    LOG_FORMAT=json
USER onair
EXPOSE 3000
CMD ["/usr/local/bin/onair"]
