#!/usr/bin/env bash
# The integration files that use a database or the job queue, again on PostgreSQL + BullMQ on Redis (issue 18):
# starts both on loopback (scripts/start-scale-out-services.sh), and tests/helpers/test-database.ts and
# test-queue.ts switch on the two variables. The rest of the suite touches neither, so a second pass of it would
# repeat the first.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/start-scale-out-services.sh)"
mapfile -t files < <(grep -l -E "helpers/(test-database|test-queue|synthetic-analysis-run)" tests/integration/*.test.ts)
TEST_POSTGRES_URL="$POSTGRES_URL" TEST_REDIS_URL="$REDIS_URL" npx vitest run --project integration "${files[@]}"
