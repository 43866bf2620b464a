/** The browser harness refuses to skip in CI: a missing Chromium fails with the install command. */
import { describe, expect, it } from 'vitest';
import { CHROMIUM_INSTALL, checkChromium } from './harness.js';

describe('checkChromium', () => {
  const nowhere = '/nonexistent/chromium';

  it('under CI=true a missing Chromium is an error that says how to install it', () => {
    expect(() => checkChromium(nowhere, { CI: 'true' })).toThrow(
      `Chromium is missing at ${nowhere}, and with CI=true the browser tests may not be skipped. Install it with: ${CHROMIUM_INSTALL}`,
    );
    expect(CHROMIUM_INSTALL).toBe('apt-get update && apt-get install -y chromium');
  });

  it('outside CI a missing Chromium only means the browser tests are skipped', () => {
    expect(checkChromium(nowhere, {})).toBe(true);
  });

  it('a browser that is there is no error under CI', () => {
    expect(checkChromium(process.execPath, { CI: 'true' })).toBe(false);
  });
});
