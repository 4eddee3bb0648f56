import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Everything Chromium would fetch on its own (updates, translation, field trials, safe browsing…) stays off. */
const OFFLINE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--no-default-browser-check',
  '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
];

/** A headless Chromium with a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_FLAGS });
}

// The page's globals, reached from functions that run in the browser (the tests are compiled without the DOM types).
type BrowserGlobals = { document: any; sessionStorage: any };

/**
 * The gateway's GraphiQL in one fresh browser context, driven as a person would: the sign-in bar, the tabs, the run
 * button, the result pane. It records every request the page makes that leaves the gateway's origin, and the errors
 * the page logs.
 */
export class Ide {
  /** URLs the page requested (HTTP or WebSocket) from any origin other than the gateway's. */
  readonly foreignRequests: string[] = [];
  /** Uncaught exceptions and console errors of the page. */
  readonly errors: string[] = [];
  /** Bodies of the GraphQL requests the page posted, in order. */
  readonly posted: { body: string; authorization: Promise<string | null>; status: Promise<number | null> }[] = [];

  /** The Content-Security-Policy the page was served with. */
  csp = '';

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly gatewayUrl: string,
  ) {
    const origin = new URL(gatewayUrl);
    const ownOrigin = (url: string) => {
      const parsed = new URL(url);
      if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
      return parsed.host === origin.host && ['http:', 'ws:'].includes(parsed.protocol);
    };
    page.on('request', (request) => {
      if (!ownOrigin(request.url())) this.foreignRequests.push(request.url());
      if (request.method() === 'POST') {
        this.posted.push({
          body: request.postData() ?? '',
          authorization: request.allHeaders().then((headers) => headers.authorization ?? null, () => null),
          status: request.response().then((response) => response?.status() ?? null, () => null),
        });
      }
    });
    page.on('websocket', (socket) => {
      if (!ownOrigin(socket.url())) this.foreignRequests.push(socket.url());
    });
    page.on('pageerror', (error) => this.errors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`console: ${message.text()} (${message.location().url})`);
    });
  }

  /** Opens the IDE in a new context; `beforeLoad` may prepare the context (storage, a fake clock) first. */
  static async open(browser: Browser, gatewayUrl: string, beforeLoad?: (page: Page) => Promise<unknown>): Promise<Ide> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const ide = new Ide(context, page, gatewayUrl);
    await beforeLoad?.(page);
    const response = await page.goto(gatewayUrl);
    ide.csp = response?.headers()['content-security-policy'] ?? '';
    // The tabs exist once GraphiQL rendered; the session bar once the page's own script ran.
    await page.locator('.graphiql-tab').first().waitFor();
    await page.locator('#medport-sign-in:not([hidden]), #medport-signed-in:not([hidden])').waitFor();
    return ide;
  }

  close() {
    return this.context.close();
  }

  get signInForm() {
    return this.page.locator('#medport-sign-in');
  }

  get signedIn() {
    return this.page.locator('#medport-signed-in');
  }

  get message() {
    return this.page.locator('#medport-message');
  }

  get runButton() {
    return this.page.locator('.graphiql-execute-button');
  }

  /** Signs in with the bar above GraphiQL: picking a demo account fills in its password. */
  async signIn(email: string) {
    await this.signInForm.locator('input[name=email]').fill(email);
    await this.signInForm.locator('button[type=submit]').click();
    await this.signedIn.waitFor();
  }

  /** Switches to the tab of an operation, and waits until GraphiQL has parsed its document. */
  async openTab(operationName: string) {
    await this.page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${operationName}$`) }).click();
    await this.page.waitForFunction(
      (name) => {
        const editor = (globalThis as unknown as BrowserGlobals).document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror;
        return Boolean(editor?.operations?.some((operation: any) => operation.name?.value === name));
      },
      operationName,
    );
  }

  /** Puts `headers` (a JSON object's text) into the current tab's Headers editor. */
  async setHeaders(headers: string) {
    await this.page.locator('.graphiql-editor-tools button', { hasText: /^Headers$/ }).click();
    await this.page.evaluate((text) => {
      const editor = (globalThis as unknown as BrowserGlobals).document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
      editor.CodeMirror.setValue(text);
    }, headers);
  }

  /** Runs an operation of the current tab with the run button (picking it from the menu when the tab has several). */
  async run(operationName: string) {
    const several = await this.page.evaluate(
      () => ((globalThis as unknown as BrowserGlobals).document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operations ?? []).length > 1,
    );
    await this.runButton.click();
    if (several) await this.page.getByRole('menuitem', { name: operationName, exact: true }).click();
  }

  /** The result pane's text now. */
  result(): Promise<string> {
    return this.page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.querySelector('.result-window .CodeMirror').CodeMirror.getValue() as string);
  }

  /** Waits until the result pane shows something, and returns it parsed. */
  async nextResult(timeoutMs = 30_000): Promise<any> {
    await this.page.waitForFunction(
      () => (globalThis as unknown as BrowserGlobals).document.querySelector('.result-window .CodeMirror').CodeMirror.getValue().trim() !== '',
      undefined,
      { timeout: timeoutMs },
    );
    return JSON.parse(await this.result());
  }

  /** Keeps every text the result pane shows from now on: a live subscription replaces it with each event. */
  async recordResults() {
    await this.page.evaluate(() => {
      const page = globalThis as unknown as BrowserGlobals & { recordedResults: string[] };
      page.recordedResults = [];
      const editor = page.document.querySelector('.result-window .CodeMirror').CodeMirror;
      editor.on('change', () => page.recordedResults.push(editor.getValue()));
    });
  }

  async recordedResults(): Promise<any[]> {
    const texts = await this.page.evaluate(() => (globalThis as unknown as { recordedResults: string[] }).recordedResults);
    return texts.filter((text) => text.trim() !== '').map((text) => JSON.parse(text));
  }

  /** Whether the run button is idle (offers to run, not to stop). */
  async idle(): Promise<boolean> {
    return (await this.runButton.getAttribute('aria-label'))?.startsWith('Execute') ?? false;
  }

  /** The session the page keeps for a reload, as stored. */
  storedSession(): Promise<{ accessToken: string; expiresAt: number } | null> {
    return this.page.evaluate(() => JSON.parse((globalThis as unknown as BrowserGlobals).sessionStorage.getItem('medport:session') ?? 'null'));
  }
}
