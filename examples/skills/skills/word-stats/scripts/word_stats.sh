#!/bin/sh
# Prints "<words> words, <lines> lines, <characters> characters" for the text in $1.
printf '%s\n' "$1" | wc -w -l -m | awk '{ printf "%d words, %d lines, %d characters\n", $2, $1, $3 - 1 }'
