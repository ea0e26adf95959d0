# Footfall's image: Bun comes pinned through npm, as on every machine (see README).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
VOLUME /data
EXPOSE 3000
# Bun itself as PID 1, so SIGTERM reaches the server and it drains.
CMD ["node_modules/.bin/bun", "index.ts"]
