import { describe, expect, it } from 'vitest';
import { redactConsoleUrls } from './redact';

describe('redactConsoleUrls', () => {
  it('removes every token from console URLs and leaves other text alone', () => {
    const token = 'a'.repeat(32);
    expect(
      redactConsoleUrls(
        `WebSocket error: Can't connect to websocket on URL: ws://127.0.0.1:8080/console/${token}`,
      ),
    ).toBe("WebSocket error: Can't connect to websocket on URL: ws://127.0.0.1:8080/console/[token]");
    expect(redactConsoleUrls(`/console/${token}_-x and /console/b2`)).toBe(
      '/console/[token] and /console/[token]',
    );
    expect(redactConsoleUrls('Connection refused.')).toBe('Connection refused.');
  });
});
