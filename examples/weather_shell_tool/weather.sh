#!/bin/bash
# weather.sh - A simple weather tool for LLMs (the seed's example, sandboxed with the defaults:
# no network, no writes outside a private /tmp, credentials hidden, POLLYTOOL_* keys stripped).
if [ "$1" = "--schema" ]; then
  cat <<EOF2
{
  "title": "get_weather",
  "description": "Get current weather for a location",
  "type": "object",
  "sandbox": true,
  "properties": {
    "location": {
      "type": "string",
      "description": "City and state, e.g. 'San Francisco, CA'"
    },
    "units": {
      "type": "string",
      "enum": ["celsius", "fahrenheit"],
      "default": "fahrenheit",
      "description": "Temperature units"
    }
  },
  "required": ["location"]
}
EOF2
  exit 0
fi

if [ "$1" = "--execute" ]; then
  LOCATION=$(echo "$2" | jq -r '.location')
  UNITS=$(echo "$2" | jq -r '.units // "fahrenheit"')
  # In production, call a real weather API (and set "allowNetwork": true).
  case "$LOCATION" in
    "San Francisco, CA") C="18°C"; F="65°F"; SKY="foggy with moderate winds" ;;
    "New York, NY") C="7°C"; F="45°F"; SKY="partly cloudy" ;;
    "Miami, FL") C="28°C"; F="82°F"; SKY="sunny and humid" ;;
    *) C="21°C"; F="70°F"; SKY="mild weather" ;;
  esac
  if [ "$UNITS" = "celsius" ]; then echo "$C, $SKY"; else echo "$F, $SKY"; fi
  exit 0
fi

echo "Usage: $0 [--schema | --execute <json-args>]" >&2
exit 1
