FROM alpine
RUN apk add curl
USER root
