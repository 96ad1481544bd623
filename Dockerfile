# Tenure runs its TypeScript with the tsx loader; the worker bundles workflows at start.
FROM node:20-bookworm-slim AS base
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/patch-postgres.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .

FROM base AS tenure
USER node
CMD ["node", "--import", "tsx", "api/server.ts"]

# OpenLDAP with Tenure's lockout policy and base entries (scripts/ldap-server.ts).
FROM base AS openldap
RUN apt-get update \
 && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd \
 && rm -f /usr/sbin/policy-rc.d && rm -rf /var/lib/apt/lists/*
VOLUME /var/lib/tenure-ldap
EXPOSE 389
CMD ["node", "--import", "tsx", "scripts/ldap-server.ts"]
