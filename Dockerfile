# orderflow: one image for the API and the workers (the command picks the role).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY config ./config
COPY src ./src
COPY workers ./workers
USER node
EXPOSE 3000
CMD ["npx", "tsx", "src/start.ts"]
