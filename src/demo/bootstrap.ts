import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { CHECKPOINTER_DEFAULTS } from '../checkpointer';
import { ApiExceptionFilter } from './errors/api-exception.filter';

/**
 * Largest JSON body accepted, in bytes: room for the longest prompt the services accept
 * (`threads.maxPromptLength` characters) however a client encodes it (at most 12 bytes a
 * character, a surrogate pair escaped as `\uXXXX\uXXXX`), plus the rest of the body. Below that,
 * a valid prompt would be refused by the parser (express's default is 100 KB, about 33,000
 * Chinese characters) instead of the service deciding, with a 400 that names the field.
 */
const MAX_JSON_BODY_BYTES = CHECKPOINTER_DEFAULTS.threads.maxPromptLength * 12 + 16 * 1024;

/**
 * What `main.ts` and the e2e tests both apply to the application: the same body parser, pipes,
 * filters and OpenAPI document, so the tests exercise exactly what runs. Call before `init()`.
 */
export function configureDemoApp(app: NestExpressApplication): NestExpressApplication {
  app.useBodyParser('json', { limit: MAX_JSON_BODY_BYTES });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
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
