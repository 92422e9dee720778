import { createRequire } from 'node:module';
import type {
  FastifyInstance,
  FastifySchemaCompiler,
  FastifySchemaValidationError,
  RouteOptions,
} from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';

/**
 * Start-up cost, not behaviour: the admin API's routes keep their JSON Schemas, but compiling them
 * (ajv validators, fast-json-stringify serializers) and building the OpenAPI document with
 * @fastify/swagger (and its YAML library) was a large share of every start, for routes a
 * platform calls now and then. Each schema compiles on the first request that needs it, with the same compiler
 * it had at start, and the document is built on its first request from the same routes.
 */
const require = createRequire(import.meta.url);
// Fastify's own default serializer compiler, resolved where Fastify resolves it.
const fastifyRequire = createRequire(require.resolve('fastify'));

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/** A validator that compiles on its first call; Fastify reads `errors` from it after a `false`. */
function lazyValidator(compile: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate: Validate = (data) => {
    compiled ??= compile();
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}

/**
 * The routes validate with JSON Schema 2020-12, the dialect of OpenAPI 3.1, so the published document
 * means what the server checks. Bodies are strict (an unknown field is a 400, not silently dropped);
 * query strings and path parameters are text, coerced to the declared types.
 */
function validators() {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const formats = require('ajv-formats') as typeof import('ajv-formats');
  const make = (coerceTypes: boolean) => {
    const ajv = new Ajv2020({ allErrors: true, coerceTypes, useDefaults: true, strict: false });
    formats.default(ajv);
    return ajv;
  };
  return { body: make(false), text: make(true) };
}

export function lazySchemaCompilers(app: FastifyInstance): void {
  let ajv: ReturnType<typeof validators> | undefined;
  const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
    lazyValidator(() => {
      ajv ??= validators();
      return (httpPart === 'body' ? ajv.body : ajv.text).compile(schema as object) as Validate;
    });
  app.setValidatorCompiler(validatorCompiler);

  let serializerCompiler: FastifySerializerCompiler<unknown> | undefined;
  app.setSerializerCompiler((route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data) => {
      if (!serialize) {
        // No shared schemas (addSchema) and no serializerOpts: what Fastify builds by default.
        serializerCompiler ??= fastifyRequire('@fastify/fast-json-stringify-compiler')()({}, undefined);
        serialize = serializerCompiler!(route) as (data: unknown) => string;
      }
      return serialize(data);
    };
  });
}

/** @fastify/swagger's options, and the routes it would have collected (its onRoute filter). */
export function lazyOpenApi(app: FastifyInstance, swaggerOptions: object): () => Promise<unknown> {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') return; // Fastify adds them again below, and swagger skips them
    routes.push(route);
  });
  let document: Promise<unknown> | undefined;
  const build = async () => {
    const [{ default: Fastify }, { default: swagger }] = await Promise.all([
      import('fastify'),
      import('@fastify/swagger'),
    ]);
    const scratch = Fastify();
    await scratch.register(swagger, swaggerOptions);
    // Only the document is wanted from this instance: no schema is compiled for it.
    scratch.setValidatorCompiler(() => () => true);
    scratch.setSerializerCompiler(() => (data) => JSON.stringify(data));
    for (const { method, url, schema, config } of routes)
      scratch.route({ method, url, schema, config, handler: async () => null });
    await scratch.ready();
    const built = scratch.swagger();
    await scratch.close();
    return built;
  };
  return () => {
    document ??= build().catch((error) => {
      document = undefined;
      throw error;
    });
    return document;
  };
}
