# Two commands: `make run` (set up and serve the demo) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-national test test-only test-postgres lint format bench load-test-servers serve-production clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:8000/ - sign in as lead, executive or admin (see README)."
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The national demonstration: the demo plan, fictional forces answering its report, and the
# National account.
run-national: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --national
	@echo "Serving on http://127.0.0.1:8000/ - sign in as national (see README)."
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP) test-only

test-only:
	$(BIN)/python -m pytest

# The suite against PostgreSQL and Redis (the shared page cache), both throwaway servers on
# loopback, as several servers run in production.
test-postgres: $(STAMP)
	.ci/with-postgres .ci/with-redis env REQUIRE_SEVERAL_SERVERS=1 $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python tests/bench/run_all.py

# 50 users for 60 s over two gunicorn servers sharing a throwaway PostgreSQL and Redis, then
# every saved update read back on both (tests/bench/README.md, "Two servers").
load-test-servers: $(STAMP)
	.ci/with-postgres .ci/with-redis $(BIN)/python tests/bench/load_test.py --servers 2

# A production-like local run: DEBUG off, gunicorn, static files served by whitenoise, and one
# background worker (large returns) beside gunicorn at a lower CPU priority, stopped with it.
# Plain HTTP on loopback, so the HTTPS-only settings are relaxed here; behind a real TLS proxy,
# leave them on and set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
serve-production: $(STAMP)
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-local-production-like-run-$$(hostname)-not-for-real-use-0123456789} \
	ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false SECURE_COOKIES=false SECURE_HSTS_SECONDS=0 \
	sh -c '$(BIN)/python manage.py collectstatic --noinput -v0 && $(BIN)/python manage.py migrate --noinput -v0 && \
	$(BIN)/python manage.py load_demo && \
	{ nice -n 10 $(BIN)/python manage.py db_worker --no-reload & trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	$(BIN)/gunicorn actionplan.wsgi --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile -; }'

clean:
	rm -rf $(VENV) var staticfiles
