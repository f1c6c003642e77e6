import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * Where the built chat page lives: `dist/demo/web` of this checkout (`npm run build` writes it,
 * `scripts/build-web.cjs`). Found from this file whether it runs compiled (`dist/demo/http`) or
 * from source under ts-jest (`src/demo/http`): both sit three levels below the root.
 */
export const CHAT_PAGE_ROOT = resolve(__dirname, '..', '..', '..', 'dist', 'demo', 'web');

/**
 * Serves the chat page at `/` (`index.html`, `/app.css`, `/favicon.svg`, `/js/*.js`) as static
 * files, before the API's routes (a path with no such file goes on to them). Files are
 * revalidated on every load (`no-cache`, with ETags), so a rebuilt page is never stale. Without a
 * build, `/` is a 404 and the log says how to build it.
 */
export function serveChatPage(app: NestExpressApplication, root = CHAT_PAGE_ROOT): void {
  if (!existsSync(join(root, 'index.html'))) {
    new Logger('ChatPage').warn(`the chat page is not built (no ${root}): run npm run build`);
    return;
  }
  app.useStaticAssets(root, {
    index: 'index.html',
    redirect: false,
    dotfiles: 'ignore',
    setHeaders: (response: ServerResponse) => {
      response.setHeader('Cache-Control', 'no-cache');
    },
  });
}
