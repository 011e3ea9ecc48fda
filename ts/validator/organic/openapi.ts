// The OpenAPI 3.0 document served at GET /openapi.json, built from the zod schemas and the error table.
import { z } from "zod";
import { ORGANIC_ERRORS } from "./errors.js";
import { CondenseRequestSchema, CondenseResponseSchema, ErrorBodySchema } from "./schema.js";

const json = (s: z.ZodType) => z.toJSONSchema(s, { target: "openapi-3.0" });

export function openApiDocument(version: string): Record<string, unknown> {
  const errorResponses: Record<string, unknown> = {};
  for (const [code, e] of Object.entries(ORGANIC_ERRORS)) {
    const key = String(e.status);
    const prev = errorResponses[key] as { description: string } | undefined;
    errorResponses[key] = { description: prev ? `${prev.description}; ${code}: ${e.description}` : `${code}: ${e.description}`, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  return {
    openapi: "3.0.3",
    info: { title: "condense validator organic API", version, description: "Routes a context to a miner of a tier and returns the URL of its signed KV container." },
    paths: {
      "/v1/condense": {
        post: {
          operationId: "condense",
          summary: "Condense a context with a miner of the given tier",
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/CondenseRequest" } } } },
          responses: { "200": { description: "the miner's container", content: { "application/json": { schema: { $ref: "#/components/schemas/CondenseResponse" } } } }, ...errorResponses },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "an API key made with `condense validator keys create`" } },
      schemas: { CondenseRequest: json(CondenseRequestSchema), CondenseResponse: json(CondenseResponseSchema), Error: json(ErrorBodySchema) },
    },
  };
}
