"""`python -m schema > schema.graphql` prints the schema's SDL."""

from schema import schema_sdl

print(schema_sdl(), end="")
