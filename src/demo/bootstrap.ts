import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { CHECKPOINTER_DEFAULTS } from '../checkpointer';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { rejectDeepBodies } from './http/body-depth';
import { serveChatPage } from './http/chat-page';
import { DemoValidationPipe } from './http/demo-validation.pipe';

/**
 * Largest JSON body accepted, in bytes: room for the longest prompt the services accept
 * (`threads.maxPromptLength` characters) however a client encodes it (at most 12 bytes a
 * character, a surrogate pair escaped as `\uXXXX\uXXXX`), plus the rest of the body. Below that,
 * a valid prompt would be refused by the parser (express's default is 100 KB, about 33,000
 * Chinese characters) instead of the service deciding, with a 400 that names the field.
 */
const MAX_JSON_BODY_BYTES = CHECKPOINTER_DEFAULTS.threads.maxPromptLength * 12 + 16 * 1024;

/**
 * helmet's defaults (`default-src 'self'`, `script-src 'self'`, `script-src-attr 'none'`,
 * `object-src 'none'`, `frame-ancestors 'self'`, `form-action 'self'`, ...), tightened for the
 * chat page and the API: styles and fonts from our origin only, and Trusted Types required, so no
 * script can turn a string into HTML or code (the page builds its DOM with `textContent`).
 * Requests are not upgraded to HTTPS: the demo serves plain HTTP on 127.0.0.1 unless a proxy
 * terminates TLS in front of it.
 */
const CONTENT_SECURITY_POLICY = {
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'require-trusted-types-for': ["'script'"],
  'upgrade-insecure-requests': null,
};

/**
 * What Swagger UI at `/docs` needs beyond that, and no more: its scripts are files of our own
 * origin (no inline script, no `unsafe-eval`), but its page has an inline `<style>` and it sets
 * style attributes (`style-src 'unsafe-inline'`), its icons are `data:` images, and it writes
 * HTML from strings (no Trusted Types).
 */
const DOCS_CONTENT_SECURITY_POLICY = {
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'", 'data:'],
  'upgrade-insecure-requests': null,
};

/** `/docs`, its assets (`/docs/...`) and its documents (`/docs-json`, `/docs-yaml`). */
const DOCS_PATH = /^\/docs(?:[/-]|$)/;

/**
 * What `main.ts` and the e2e tests both apply to the application: security headers (helmet, no
 * `X-Powered-By`), the chat page at `/`, the same body parsers (and the bound on a body's nesting), pipes, filters and
 * OpenAPI document, so the tests exercise exactly what runs. Call before `init()`. Query strings are Express 5's default "simple" parser: flat,
 * a value is a string or, when repeated, an array of strings (which the DTOs refuse).
 */
export function configureDemoApp(app: NestExpressApplication): NestExpressApplication {
  app.disable('x-powered-by');
  const strict = helmet({ contentSecurityPolicy: { directives: CONTENT_SECURITY_POLICY } });
  const docs = helmet({ contentSecurityPolicy: { directives: DOCS_CONTENT_SECURITY_POLICY } });
  app.use((request: { path: string }, response: unknown, next: () => void) =>
    (DOCS_PATH.test(request.path) ? docs : strict)(request as never, response as never, next),
  );
  serveChatPage(app);
  app.useBodyParser('json', { limit: MAX_JSON_BODY_BYTES });
  // Registered here, not left to Nest's init (which would add it after the depth check, nested as
  // `qs` parses it): form bodies stay flat, `a[b]=1` is the field "a[b]".
  app.useBodyParser('urlencoded', { extended: false });
  app.use(rejectDeepBodies);
  app.useGlobalPipes(new DemoValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('LangGraph checkpointer demo')
      .setDescription('A chat API whose conversations are checkpointed to PostgreSQL.')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
