# Deliberately broken: every Dockerfile rule trips.
FROM node:latest
ARG NPM_TOKEN
ENV DB_PASSWORD=hunter2hunter2
RUN apt-get update
RUN apt-get install -y curl vim
ADD app.js /app/app.js
COPY .env /app/.env
CMD ["node", "/app/app.js"]
