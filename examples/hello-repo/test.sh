#!/bin/sh
# The test the example session makes pass.
out=$(sh ./greet.sh World)
if [ "$out" = "Hello, World!" ]; then
  echo "PASS"
else
  echo "FAIL: expected 'Hello, World!', got '$out'"
  exit 1
fi
