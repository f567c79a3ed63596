-- The two database roles (docs/operations.md, "Database roles"), for a fresh Postgres: run once as a
-- superuser (docker-compose mounts this file into docker-entrypoint-initdb.d). Set real passwords
-- (ALTER ROLE … PASSWORD) anywhere the server is not on a private network with trust auth.
CREATE ROLE wageguard_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE wageguard_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE wageguard OWNER wageguard_owner;
-- The grants for wageguard_app are made by the owner after each migration run (src/db/roles.ts).
