FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Run as the image's unprivileged `node` user (uid 1000): the code stays root-owned, so a compromised process can
# neither rewrite it nor touch anything root owns. Only the development data folder is the user's.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
CMD ["npx", "tsx", "src/main.ts", "all"]
