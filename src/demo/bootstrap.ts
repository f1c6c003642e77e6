import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiExceptionFilter } from './errors/api-exception.filter';

/**
 * What `main.ts` and the e2e tests both apply to the application: the same pipes, filters and
 * OpenAPI document, so the tests exercise exactly what runs.
 */
export function configureDemoApp(app: INestApplication): INestApplication {
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
