# The PBX service (`zoho-crm-connector serve`) as an image: built from this repository, run as a
# non-root user, data under the /data volume. See docs/pbx-service.md.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
RUN npx tsup && npm pack --ignore-scripts --pack-destination /tmp

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /tmp/zoho-crm-connector-*.tgz /tmp/
RUN echo '{"name":"zoho-crm-connector-service","private":true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/zoho-crm-connector-*.tgz ioredis \
 && rm /tmp/zoho-crm-connector-*.tgz \
 && mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/node_modules/zoho-crm-connector/dist/cli.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8787", "--data-dir", "/data"]
