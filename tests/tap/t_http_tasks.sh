#!/bin/sh
# t_http_tasks.sh - every test of t_http.sh against `tapstack serve --model
# tasks`: the HTTP server as one task per connection (http/server_tasks.c)
# must answer real clients exactly as the event-loop model does.
TS_MODEL=tasks
export TS_MODEL
exec sh "$(dirname "$0")/t_http.sh"
