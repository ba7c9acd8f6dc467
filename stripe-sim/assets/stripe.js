/*
 * Offline Stripe simulator: a stand-in for Stripe.js v3 (https://js.stripe.com/v3/).
 *
 * Defines window.Stripe with the surface a Payment Element / Card Element checkout uses:
 * elements(), create('payment'|'card'), mount/unmount/destroy/on/once/off, elements.submit(),
 * confirmPayment, confirmCardPayment, retrievePaymentIntent, handleNextAction, handleCardAction,
 * createPaymentMethod, createConfirmationToken (deferred intents, confirmed on the server), and a
 * 3-D Secure test challenge shown in a modal iframe.
 *
 * The simulator's base URL (B) is derived from this script's own URL (B/v3/ or B/v3/stripe.js).
 * Card data only lives inside the Element iframe (B/v3/elements-inner.html); this page only ever
 * sees PaymentMethod ids. The REST server at B/v1/... is authoritative for statuses and messages.
 * Plain ES2020, no dependencies. Never logs card numbers or client secrets.
 */
(function () {
  'use strict';

  if (window.Stripe && window.Stripe.__stripeSim) return; // loaded twice: keep the first one

  // ---------------------------------------------------------------------------------------------
  // Base URL of the simulator, from this script's own URL (captured at load time).
  const SCRIPT = document.currentScript;
  const BASE = (function () {
    let src = SCRIPT && SCRIPT.src;
    if (!src) {
      const tags = document.querySelectorAll('script[src]');
      for (const t of tags) {
        if (/\/v3\/(stripe\.js)?(\?.*)?$/.test(t.src)) src = t.src;
      }
    }
    if (!src) src = new URL('/v3/', window.location.href).href;
    const u = new URL(src, window.location.href);
    u.search = '';
    u.hash = '';
    const path = u.pathname.endsWith('/v3') ? `${u.pathname}/` : u.pathname;
    const i = path.lastIndexOf('/v3/');
    u.pathname = i >= 0 ? path.slice(0, i + 1) : new URL('..', u).pathname;
    return u.href; // always ends with '/'
  })();
  const BASE_ORIGIN = new URL(BASE).origin;
  const PAGE_ORIGIN = window.location.origin;
  const CONNECTION_MESSAGE = 'An error occurred with our connection to Stripe.';

  // ---------------------------------------------------------------------------------------------
  // Errors and helpers

  class IntegrationError extends Error {
    constructor(message) {
      super(message);
      this.name = 'IntegrationError';
    }
  }

  function integrationError(message) {
    return new IntegrationError(message);
  }

  let uidCounter = 0;
  function uid(prefix) {
    uidCounter += 1;
    const rand = Math.random().toString(36).slice(2, 10);
    return `${prefix}${rand}${uidCounter}`;
  }

  /** Flattens nested params to Stripe's bracket form: a[b][c]=..., arrays as a[0]=... */
  function encodeForm(params) {
    const parts = [];
    const walk = (prefix, value) => {
      if (value === undefined || typeof value === 'function') return;
      if (value === null) {
        parts.push([prefix, '']);
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => walk(`${prefix}[${i}]`, v));
      } else if (typeof value === 'object') {
        if (value.__stripeSimElement) return; // never serialise an Element
        for (const k of Object.keys(value)) walk(prefix ? `${prefix}[${k}]` : k, value[k]);
      } else {
        parts.push([prefix, String(value)]);
      }
    };
    walk('', params);
    return parts.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  }

  function piIdFromSecret(clientSecret) {
    if (typeof clientSecret !== 'string') return null;
    const i = clientSecret.indexOf('_secret_');
    if (i <= 0) return null;
    return clientSecret.slice(0, i);
  }

  function assertClientSecret(clientSecret, where) {
    if (typeof clientSecret !== 'string' || !piIdFromSecret(clientSecret)) {
      throw integrationError(
        `Invalid value for ${where}: clientSecret should be a client secret of the form \${id}_secret_\${secret}.`,
      );
    }
  }

  function isElement(v) {
    return !!(v && v.__stripeSimElement);
  }

  function apiError(status, body) {
    if (body && body.error && typeof body.error === 'object') return body.error;
    return {
      type: 'api_error',
      message: `An unexpected error occurred (HTTP ${status}).`,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // REST client (publishable key, CORS)

  function makeApi(pk, options) {
    async function call(method, path, params) {
      const headers = { Authorization: `Bearer ${pk}` };
      if (options && options.stripeAccount) headers['Stripe-Account'] = options.stripeAccount;
      let url = BASE + path;
      let body;
      if (method === 'GET') {
        const q = encodeForm(params || {});
        if (q) url += (url.includes('?') ? '&' : '?') + q;
      } else {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = encodeForm(params || {});
      }
      let res;
      try {
        res = await fetch(url, { method, headers, body, mode: 'cors', credentials: 'omit' });
      } catch (_e) {
        return { error: { type: 'api_connection_error', message: CONNECTION_MESSAGE } };
      }
      let json = null;
      try {
        json = await res.json();
      } catch (_e) {
        json = null;
      }
      if (!res.ok) return { error: apiError(res.status, json), status: res.status };
      if (!json) return { error: apiError(res.status, null), status: res.status };
      return { data: json, status: res.status };
    }
    return {
      getPaymentIntent(clientSecret) {
        const id = piIdFromSecret(clientSecret);
        return call('GET', `v1/payment_intents/${encodeURIComponent(id)}`, { client_secret: clientSecret });
      },
      confirmPaymentIntent(clientSecret, params) {
        const id = piIdFromSecret(clientSecret);
        return call(
          'POST',
          `v1/payment_intents/${encodeURIComponent(id)}/confirm`,
          Object.assign({}, params, { client_secret: clientSecret }),
        );
      },
      createPaymentMethod(params) {
        return call('POST', 'v1/payment_methods', params);
      },
      createConfirmationToken(params) {
        return call('POST', 'v1/confirmation_tokens', params);
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Messages from our iframes. Every message is checked for origin and source.

  const frames = new Map(); // frameId -> handler object with .window() and .onMessage(data)

  window.addEventListener('message', (event) => {
    if (event.origin !== BASE_ORIGIN) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || data.__stripeSim !== true) return;
    const frame = frames.get(data.frameId);
    if (!frame) return;
    const win = frame.window();
    if (!win || event.source !== win) return;
    frame.onMessage(data);
  });

  // ---------------------------------------------------------------------------------------------
  // Elements

  const ELEMENT_TYPES = ['payment', 'card'];

  function appearanceForFrame(appearance, style) {
    const out = {};
    if (appearance && typeof appearance === 'object') {
      if (typeof appearance.theme === 'string') out.theme = appearance.theme;
      if (appearance.variables && typeof appearance.variables === 'object') {
        const v = appearance.variables;
        const keep = [
          'colorPrimary',
          'colorBackground',
          'colorText',
          'colorDanger',
          'fontFamily',
          'fontSizeBase',
          'borderRadius',
          'spacingUnit',
        ];
        out.variables = {};
        for (const k of keep) if (typeof v[k] === 'string') out.variables[k] = v[k];
      }
    }
    if (style && typeof style === 'object') {
      // Card Element `style` option: {base: {color, fontFamily, fontSize, '::placeholder': {color}}, invalid: {color}}
      const base = style.base || {};
      out.variables = Object.assign({}, out.variables);
      if (typeof base.color === 'string') out.variables.colorText = base.color;
      if (typeof base.fontFamily === 'string') out.variables.fontFamily = base.fontFamily;
      if (typeof base.fontSize === 'string') out.variables.fontSizeBase = base.fontSize;
      if (typeof base.iconColor === 'string') out.variables.colorPrimary = base.iconColor;
      if (style.invalid && typeof style.invalid.color === 'string') out.variables.colorDanger = style.invalid.color;
    }
    return out;
  }

  function createElementsGroup(stripe, api, pk, groupOptions) {
    const opts = Object.assign({}, groupOptions || {});
    if (opts.clientSecret !== undefined && opts.mode !== undefined) {
      throw integrationError('elements(): clientSecret and mode cannot both be set.');
    }
    if (opts.clientSecret !== undefined) assertClientSecret(opts.clientSecret, 'elements()');
    if (opts.mode !== undefined) {
      if (!['payment', 'subscription', 'setup'].includes(opts.mode)) {
        throw integrationError(`Invalid value for elements(): mode should be one of payment, setup, subscription.`);
      }
      if (opts.mode !== 'setup') {
        if (!Number.isInteger(opts.amount)) {
          throw integrationError('Invalid value for elements(): amount should be an integer when mode is payment.');
        }
        if (typeof opts.currency !== 'string') {
          throw integrationError('Invalid value for elements(): currency should be a string.');
        }
      }
    }

    const state = {
      options: opts,
      elements: new Map(), // type -> element
      submitted: false,
    };

    const group = {
      __stripeSimElements: true,
      create(type, elementOptions) {
        if (!ELEMENT_TYPES.includes(type)) {
          throw integrationError(
            `A valid Element name must be provided. Valid Elements are: ${ELEMENT_TYPES.join(', ')}; you passed: ${type}.`,
          );
        }
        if (state.elements.has(type)) {
          throw integrationError(`Can only create one Element of type ${type}.`);
        }
        if (type === 'payment' && state.elements.has('card')) {
          throw integrationError('The payment Element cannot be mounted with a card Element in the same elements group.');
        }
        const el = createElement(type, elementOptions || {}, state, api, pk);
        state.elements.set(type, el);
        return el;
      },
      getElement(type) {
        return state.elements.get(type) || null;
      },
      update(newOptions) {
        const o = newOptions || {};
        if (o.clientSecret !== undefined) {
          throw integrationError('elements.update(): clientSecret cannot be updated. Create a new Elements group instead.');
        }
        if (o.amount !== undefined && !Number.isInteger(o.amount)) {
          throw integrationError('Invalid value for elements.update(): amount should be an integer.');
        }
        if (o.currency !== undefined && typeof o.currency !== 'string') {
          throw integrationError('Invalid value for elements.update(): currency should be a string.');
        }
        if (o.mode !== undefined && !['payment', 'subscription', 'setup'].includes(o.mode)) {
          throw integrationError('Invalid value for elements.update(): mode should be one of payment, setup, subscription.');
        }
        for (const k of [
          'amount',
          'currency',
          'mode',
          'captureMethod',
          'setupFutureUsage',
          'paymentMethodTypes',
          'excludedPaymentMethodTypes',
          'onBehalfOf',
          'paymentMethodConfiguration',
          'locale',
        ]) {
          if (o[k] !== undefined) state.options[k] = o[k];
        }
        if (o.appearance) {
          state.options.appearance = o.appearance;
          for (const el of state.elements.values()) el._updateAppearance();
        }
        // Resolves once the mounted Elements have taken the new options, which they announce
        // with 'update-end' (https://docs.stripe.com/js/elements_object/update).
        return Promise.resolve().then(() => {
          for (const el of state.elements.values()) {
            if (el._isMounted()) el._emit('update-end', { elementType: el.elementType });
          }
        });
      },
      async fetchUpdates() {
        if (!state.options.clientSecret) return {};
        const r = await api.getPaymentIntent(state.options.clientSecret);
        if (r.error) return { error: { message: r.error.message, status: r.status ? String(r.status) : undefined } };
        state.intent = r.data;
        return {};
      },
      async submit() {
        const el = state.elements.get('payment') || state.elements.get('card');
        if (!el || !el._isMounted()) {
          return {
            error: {
              type: 'validation_error',
              code: 'incomplete',
              message: 'No mounted Payment Element was found to submit.',
            },
          };
        }
        const result = await el._validate();
        if (result.error) {
          state.submitted = false;
          return { error: result.error };
        }
        state.submitted = true;
        return { selectedPaymentMethod: 'card' };
      },
    };
    Object.defineProperty(group, '_state', { value: state, enumerable: false });
    return group;
  }

  // An Element's event emitter: the merchant's on/once/off handlers, and emit() to call them.
  class ElementEvents {
    constructor() {
      this.handlers = new Map(); // event -> array of {fn, once}
    }

    add(event, fn, once) {
      if (!this.handlers.has(event)) this.handlers.set(event, []);
      this.handlers.get(event).push({ fn, once });
    }

    remove(event, fn) {
      if (!fn) {
        this.handlers.delete(event);
      } else if (this.handlers.has(event)) {
        const list = this.handlers.get(event).filter((h) => h.fn !== fn);
        this.handlers.set(event, list);
      }
    }

    emit(event, payload) {
      const list = this.handlers.get(event);
      if (!list) return;
      for (const h of list.slice()) {
        if (h.once) {
          const i = list.indexOf(h);
          if (i >= 0) list.splice(i, 1);
        }
        try {
          h.fn(payload);
        } catch (e) {
          setTimeout(() => {
            throw e;
          });
        }
      }
    }

    clear() {
      this.handlers.clear();
    }
  }

  // An Element's frame channel: postMessage to its iframe. Messages wait in a queue until the
  // frame says it is ready; a request waits for the frame's response with the same reqId.
  class FrameChannel {
    constructor(frameId, currentIframe) {
      this.frameId = frameId;
      this.currentIframe = currentIframe; // () => the mounted iframe, or null
      this.ready = false;
      this.queue = [];
      this.pending = new Map(); // reqId -> resolve
    }

    post(message) {
      const msg = Object.assign({ __stripeSim: true, frameId: this.frameId }, message);
      const iframe = this.currentIframe();
      if (!this.ready || !iframe || !iframe.contentWindow) {
        this.queue.push(msg);
        return;
      }
      iframe.contentWindow.postMessage(msg, BASE_ORIGIN);
    }

    request(kind, payload) {
      return new Promise((resolve) => {
        if (!this.currentIframe()) {
          resolve({ error: { type: 'validation_error', code: 'incomplete', message: 'The Element is not mounted.' } });
          return;
        }
        const reqId = uid('req_');
        this.pending.set(reqId, resolve);
        this.post(Object.assign({ type: kind, reqId }, payload));
      });
    }

    // The frame is ready: what was queued goes out.
    opened() {
      this.ready = true;
      const q = this.queue;
      this.queue = [];
      const iframe = this.currentIframe();
      for (const m of q) iframe.contentWindow.postMessage(m, BASE_ORIGIN);
    }

    // The frame answered a request.
    answered(reqId, result) {
      const resolve = this.pending.get(reqId);
      if (resolve) {
        this.pending.delete(reqId);
        resolve(result || {});
      }
    }

    // The frame is gone: open requests fail, queued messages are dropped.
    close() {
      for (const resolve of this.pending.values()) {
        resolve({ error: { type: 'validation_error', code: 'incomplete', message: 'The Element was unmounted.' } });
      }
      this.pending = new Map();
      this.queue = [];
      this.ready = false;
    }
  }

  function createElement(type, elementOptions, groupState, api, pk) {
    const frameId = uid('__privateStripeFrame');
    const events = new ElementEvents();
    let options = Object.assign({}, elementOptions);
    let container = null; // the node the merchant mounted into
    let wrapper = null; // our div inside it
    let iframe = null;
    let destroyed = false;
    const frame = new FrameChannel(frameId, () => iframe);
    let loadState = 'idle'; // idle | loading | loaded | error
    let readyEmitted = false;
    let lastChange = { empty: true, complete: false, brand: 'unknown', error: undefined, postalCode: '' };

    const emit = (event, payload) => events.emit(event, payload);
    const post = (message) => frame.post(message);
    const request = (kind, payload) => frame.request(kind, payload);

    function setStateClasses(s) {
      if (!container) return;
      const cls = options.classes || {};
      const names = {
        base: cls.base || 'StripeElement',
        complete: cls.complete || 'StripeElement--complete',
        empty: cls.empty || 'StripeElement--empty',
        focus: cls.focus || 'StripeElement--focus',
        invalid: cls.invalid || 'StripeElement--invalid',
      };
      container.classList.add(names.base);
      if (s.complete !== undefined) container.classList.toggle(names.complete, !!s.complete);
      if (s.empty !== undefined) container.classList.toggle(names.empty, !!s.empty);
      if (s.invalid !== undefined) container.classList.toggle(names.invalid, !!s.invalid);
      if (s.focus !== undefined) container.classList.toggle(names.focus, !!s.focus);
    }

    function maybeReady() {
      if (readyEmitted || !frame.ready) return;
      if (type === 'payment' && groupState.options.clientSecret && loadState !== 'loaded') return;
      readyEmitted = true;
      emit('ready', { elementType: type });
    }

    function frameUrl() {
      const q = new URLSearchParams();
      q.set('kind', type);
      q.set('frameId', frameId);
      q.set('origin', PAGE_ORIGIN);
      q.set('pk', pk);
      const appearance = appearanceForFrame(groupState.options.appearance, options.style);
      if (Object.keys(appearance).length) q.set('appearance', JSON.stringify(appearance));
      if (type === 'card' && options.hidePostalCode) q.set('hidePostalCode', '1');
      if (type === 'payment') {
        const bd = options.fields && options.fields.billingDetails;
        const addr = bd === 'never' ? 'never' : bd && bd.address;
        if (addr === 'never' || (addr && typeof addr === 'object' && addr.postalCode === 'never')) {
          q.set('hidePostalCode', '1');
        }
        if (addr === 'never' || (addr && typeof addr === 'object' && addr.country === 'never')) {
          q.set('hideCountry', '1');
        }
        const dv = options.defaultValues && options.defaultValues.billingDetails;
        if (dv && dv.address) {
          if (typeof dv.address.postal_code === 'string') q.set('postalCode', dv.address.postal_code);
          if (typeof dv.address.country === 'string') q.set('country', dv.address.country);
        }
      }
      if (type === 'card' && options.value && typeof options.value.postalCode === 'string') {
        q.set('postalCode', options.value.postalCode);
      }
      if (options.disabled || options.readOnly) q.set('disabled', '1');
      return `${BASE}v3/elements-inner.html?${q.toString()}`;
    }

    function onFrameMessage(data) {
      switch (data.type) {
        case 'frameReady':
          frame.opened();
          maybeReady();
          break;
        case 'resize':
          if (iframe && typeof data.height === 'number') iframe.style.height = `${Math.ceil(data.height)}px`;
          break;
        case 'change': {
          groupState.submitted = false;
          lastChange = {
            empty: !!data.empty,
            complete: !!data.complete,
            brand: data.brand || 'unknown',
            error: data.error || undefined,
            postalCode: data.postalCode || '',
          };
          setStateClasses({ empty: lastChange.empty, complete: lastChange.complete, invalid: !!lastChange.error });
          if (type === 'payment') {
            emit('change', {
              elementType: 'payment',
              empty: lastChange.empty,
              complete: lastChange.complete,
              collapsed: false,
              value: { type: 'card' },
            });
          } else {
            const ev = {
              elementType: 'card',
              elementMode: 'card',
              empty: lastChange.empty,
              complete: lastChange.complete,
              brand: lastChange.brand,
              value: { postalCode: lastChange.postalCode },
            };
            if (lastChange.error) ev.error = lastChange.error;
            emit('change', ev);
          }
          break;
        }
        case 'focus':
          setStateClasses({ focus: true });
          emit('focus', { elementType: type });
          break;
        case 'blur':
          setStateClasses({ focus: false });
          emit('blur', { elementType: type });
          break;
        case 'escape':
          emit('escape', { elementType: type });
          break;
        case 'response':
          frame.answered(data.reqId, data.result);
          break;
        default:
          break;
      }
    }

    async function loadIntent() {
      const cs = groupState.options.clientSecret;
      if (type !== 'payment' || !cs) return;
      loadState = 'loading';
      const r = await api.getPaymentIntent(cs);
      if (destroyed) return;
      if (r.error) {
        loadState = 'error';
        post({ type: 'loadError', message: r.error.message || 'Something went wrong.' });
        emit('loaderror', { elementType: type, error: r.error });
        return;
      }
      loadState = 'loaded';
      groupState.intent = r.data;
      maybeReady();
    }

    const element = {
      __stripeSimElement: true,
      mount(target) {
        if (destroyed) throw integrationError('This Element has already been destroyed. Please create a new one.');
        let node = target;
        if (typeof target === 'string') {
          node = document.querySelector(target);
          if (!node) {
            throw integrationError(
              `The selector you specified (${target}) applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().`,
            );
          }
        }
        if (!node || !(node instanceof window.HTMLElement)) {
          throw integrationError('Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.');
        }
        if (iframe) {
          throw integrationError('This Element is already mounted. Use `unmount` to unmount the Element before re-mounting.');
        }
        container = node;
        wrapper = document.createElement('div');
        wrapper.className = '__PrivateStripeElement';
        wrapper.style.cssText =
          'margin: 0px !important; padding: 0px !important; border: none !important; display: block !important; background: transparent !important; position: relative !important; opacity: 1 !important;';
        iframe = document.createElement('iframe');
        iframe.name = frameId;
        iframe.title = type === 'card' ? 'Secure card payment input frame' : 'Secure payment input frame';
        iframe.setAttribute('frameborder', '0');
        iframe.setAttribute('allowtransparency', 'true');
        iframe.setAttribute('scrolling', 'no');
        iframe.setAttribute('role', 'presentation');
        iframe.setAttribute('allow', 'payment *');
        iframe.style.cssText =
          'border: none !important; margin: 0px !important; padding: 0px !important; width: 1px !important; min-width: 100% !important; overflow: hidden !important; display: block !important; user-select: none !important; color-scheme: light only !important; height: ' +
          (type === 'card' ? '64px' : '200px') +
          ';';
        iframe.src = frameUrl();
        frame.ready = false;
        readyEmitted = false;
        wrapper.appendChild(iframe);
        container.appendChild(wrapper);
        setStateClasses({ empty: lastChange.empty, complete: lastChange.complete, invalid: false, focus: false });
        frames.set(frameId, { window: () => (iframe ? iframe.contentWindow : null), onMessage: onFrameMessage });
        if (groupState.options.loader === 'always') emit('loaderstart', { elementType: type });
        loadIntent();
      },
      unmount() {
        if (!iframe) return;
        frames.delete(frameId);
        frame.close();
        if (wrapper && wrapper.parentNode) wrapper.parentNode.removeChild(wrapper);
        if (container) {
          const cls = options.classes || {};
          for (const c of [
            cls.base || 'StripeElement',
            cls.complete || 'StripeElement--complete',
            cls.empty || 'StripeElement--empty',
            cls.focus || 'StripeElement--focus',
            cls.invalid || 'StripeElement--invalid',
          ]) {
            container.classList.remove(c);
          }
        }
        iframe = null;
        wrapper = null;
        container = null;
        lastChange = { empty: true, complete: false, brand: 'unknown', error: undefined, postalCode: '' };
      },
      destroy() {
        element.unmount();
        destroyed = true;
        events.clear();
        if (groupState.elements.get(type) === element) groupState.elements.delete(type);
      },
      focus() {
        if (iframe) {
          try {
            iframe.focus();
          } catch (_e) {
            /* ignore */
          }
          post({ type: 'focus' });
        }
      },
      blur() {
        post({ type: 'blur' });
      },
      clear() {
        post({ type: 'clear' });
      },
      update(newOptions) {
        options = Object.assign({}, options, newOptions || {});
        post({
          type: 'update',
          appearance: appearanceForFrame(groupState.options.appearance, options.style),
          disabled: !!(options.disabled || options.readOnly),
          hidePostalCode: type === 'card' ? !!options.hidePostalCode : undefined,
        });
      },
      on(event, handler) {
        if (typeof handler !== 'function') {
          throw integrationError(`When adding an event listener, the handler must be a function. You specified: ${typeof handler}.`);
        }
        events.add(event, handler, false);
        return element;
      },
      once(event, handler) {
        if (typeof handler !== 'function') {
          throw integrationError(`When adding an event listener, the handler must be a function. You specified: ${typeof handler}.`);
        }
        events.add(event, handler, true);
        return element;
      },
      off(event, handler) {
        events.remove(event, handler);
        return element;
      },
      // Used by the Stripe instance only (not part of the public surface).
      _isMounted() {
        return !!iframe;
      },
      _validate() {
        return request('validate', {});
      },
      _createPaymentMethod(billingDetails) {
        return request('createPaymentMethod', { billing_details: billingDetails || undefined });
      },
      _updateAppearance() {
        post({ type: 'update', appearance: appearanceForFrame(groupState.options.appearance, options.style) });
      },
      _loadFailed() {
        return loadState === 'error';
      },
      _emit(event, payload) {
        emit(event, payload);
      },
    };
    Object.defineProperty(element, 'elementType', { value: type, enumerable: false });
    return element;
  }

  // ---------------------------------------------------------------------------------------------
  // 3-D Secure challenge modal

  function showChallenge(pk, intent, clientSecret) {
    return new Promise((resolve) => {
      const frameId = uid('__privateStripeChallenge');
      const backdrop = document.createElement('div');
      backdrop.setAttribute('data-stripe-sim', 'three-ds');
      backdrop.style.cssText =
        'position: fixed !important; inset: 0 !important; z-index: 2147483647 !important; background: rgba(0, 0, 0, 0.5) !important; display: flex !important; align-items: center !important; justify-content: center !important; margin: 0 !important; padding: 0 !important;';
      const box = document.createElement('div');
      box.style.cssText =
        'background: #fff; border-radius: 8px; box-shadow: 0 10px 40px rgba(0,0,0,.35); width: min(420px, 94vw); height: min(520px, 90vh); overflow: hidden;';
      const frame = document.createElement('iframe');
      frame.title = '3D Secure challenge';
      frame.name = frameId;
      frame.setAttribute('frameborder', '0');
      frame.style.cssText = 'border: 0; width: 100%; height: 100%; display: block;';
      const q = new URLSearchParams();
      q.set('payment_intent', intent.id);
      q.set('client_secret', clientSecret);
      q.set('pk', pk);
      q.set('origin', PAGE_ORIGIN);
      q.set('frameId', frameId);
      frame.src = `${BASE}v3/three-ds-challenge.html?${q.toString()}`;
      box.appendChild(frame);
      backdrop.appendChild(box);
      const previousFocus = document.activeElement;
      frames.set(frameId, {
        window: () => frame.contentWindow,
        onMessage(data) {
          if (data.type !== 'challengeComplete') return;
          frames.delete(frameId);
          if (backdrop.parentNode) backdrop.parentNode.removeChild(backdrop);
          if (previousFocus && typeof previousFocus.focus === 'function') {
            try {
              previousFocus.focus();
            } catch (_e) {
              /* ignore */
            }
          }
          resolve(data.outcome);
        },
      });
      document.body.appendChild(backdrop);
      frame.addEventListener('load', () => {
        try {
          frame.focus();
        } catch (_e) {
          /* ignore */
        }
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The Stripe instance

  function Stripe(publishableKey, stripeOptions) {
    if (publishableKey === undefined || publishableKey === null || publishableKey === '') {
      throw integrationError('Please call Stripe() with your publishable key. You used an empty string.');
    }
    if (typeof publishableKey !== 'string') {
      throw integrationError('Invalid value for Stripe(): apiKey should be a string.');
    }
    if (/^(sk|rk)_/.test(publishableKey)) {
      throw integrationError('You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.');
    }
    if (!/^pk_/.test(publishableKey)) {
      throw integrationError('Invalid value for Stripe(): apiKey should be a publishable key (it starts with pk_).');
    }
    const pk = publishableKey;
    const api = makeApi(pk, stripeOptions || {});

    function resultForIntent(pi) {
      if (!pi || typeof pi !== 'object') {
        return { error: { type: 'api_error', message: 'An unexpected error occurred.' } };
      }
      if (pi.status === 'requires_payment_method' && pi.last_payment_error) {
        return { error: Object.assign({}, pi.last_payment_error, { payment_intent: pi }) };
      }
      return { paymentIntent: pi };
    }

    /** Runs the next action of a confirmed intent (3DS modal), then re-reads the intent. */
    async function handleActions(pi, clientSecret, redirectMode) {
      const na = pi && pi.next_action;
      if (!pi || pi.status !== 'requires_action' || !na) return resultForIntent(pi);
      if (na.type === 'redirect_to_url' && na.redirect_to_url && na.redirect_to_url.url) {
        window.location.assign(na.redirect_to_url.url);
        return new Promise(() => {});
      }
      if (na.type === 'use_stripe_sdk') {
        await showChallenge(pk, pi, clientSecret);
        const r = await api.getPaymentIntent(clientSecret);
        if (r.error) return { error: r.error };
        return resultForIntent(r.data);
      }
      void redirectMode;
      return resultForIntent(pi);
    }

    function redirectStatusFor(status) {
      if (status === 'processing') return 'processing';
      if (status === 'succeeded' || status === 'requires_capture') return 'succeeded';
      return 'failed';
    }

    function navigateToReturnUrl(returnUrl, pi, clientSecret) {
      const u = new URL(returnUrl, window.location.href);
      u.searchParams.set('payment_intent', pi.id);
      u.searchParams.set('payment_intent_client_secret', clientSecret);
      u.searchParams.set('redirect_status', redirectStatusFor(pi.status));
      window.location.assign(u.href);
      return new Promise(() => {}); // never resolves: the page is navigating away
    }

    /** Confirms with the server and handles the 3DS challenge; returns {paymentIntent}|{error}. */
    async function confirmAndHandle(clientSecret, params, doHandleActions) {
      const r = await api.confirmPaymentIntent(clientSecret, Object.assign({ use_stripe_sdk: 'true' }, params));
      if (r.error) return { error: r.error };
      if (!doHandleActions) return { paymentIntent: r.data };
      return handleActions(r.data, clientSecret);
    }

    const stripe = {
      elements(options) {
        return createElementsGroup(stripe, api, pk, options);
      },

      async confirmPayment(options) {
        const o = options || {};
        const elements = o.elements;
        if (elements !== undefined && !(elements && elements.__stripeSimElements)) {
          throw integrationError('Invalid value for confirmPayment(): elements should be an Elements group.');
        }
        const gstate = elements ? elements._state : null;
        const redirect = o.redirect === undefined ? 'always' : o.redirect;
        if (redirect !== 'always' && redirect !== 'if_required') {
          throw integrationError('Invalid value for confirmPayment(): redirect should be one of always, if_required.');
        }
        const confirmParams = Object.assign({}, o.confirmParams || {});
        if (redirect === 'always' && !confirmParams.return_url) {
          throw integrationError(
            'stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: \'if_required\'`',
          );
        }
        const deferred = !!(gstate && gstate.options.mode);
        let clientSecret = o.clientSecret;
        if (deferred) {
          if (!clientSecret) {
            throw integrationError('You must pass in a clientSecret when calling stripe.confirmPayment().');
          }
        } else if (!clientSecret) {
          clientSecret = gstate && gstate.options.clientSecret;
        }
        if (!clientSecret) {
          throw integrationError('You must pass in a clientSecret when calling stripe.confirmPayment().');
        }
        assertClientSecret(clientSecret, 'confirmPayment()');

        let paymentMethod = confirmParams.payment_method;
        const pmData = confirmParams.payment_method_data;
        delete confirmParams.payment_method;
        delete confirmParams.payment_method_data;

        if (!paymentMethod) {
          const el = gstate && (gstate.elements.get('payment') || gstate.elements.get('card'));
          if (!el || !el._isMounted()) {
            throw integrationError(
              'stripe.confirmPayment(): the Payment Element must be mounted, or `confirmParams.payment_method` provided.',
            );
          }
          if (deferred) {
            if (!gstate.submitted) {
              throw integrationError('elements.submit() must be called before stripe.confirmPayment().');
            }
          } else {
            const v = await el._validate();
            if (v.error) return { error: v.error };
          }
          const billing = pmData && pmData.billing_details;
          const pm = await el._createPaymentMethod(billing);
          if (pm.error) return { error: pm.error };
          paymentMethod = pm.id;
          if (gstate) gstate.submitted = false;
        }

        const params = Object.assign({}, confirmParams, { payment_method: paymentMethod });
        const result = await confirmAndHandle(clientSecret, params, true);
        if (result.error) return result;
        const pi = result.paymentIntent;
        if (redirect === 'always' && ['succeeded', 'processing', 'requires_capture'].includes(pi.status)) {
          return navigateToReturnUrl(confirmParams.return_url, pi, clientSecret);
        }
        return result;
      },

      async confirmCardPayment(clientSecret, data, options) {
        assertClientSecret(clientSecret, 'stripe.confirmCardPayment()');
        const d = Object.assign({}, data || {});
        const handle = !(options && options.handleActions === false);
        let pmParam = d.payment_method;
        delete d.payment_method;
        if (pmParam && typeof pmParam === 'object') {
          const el = pmParam.card;
          if (isElement(el)) {
            if (!el._isMounted()) {
              throw integrationError('stripe.confirmCardPayment(): the card Element must be mounted.');
            }
            const v = await el._validate();
            if (v.error) return { error: v.error };
            const pm = await el._createPaymentMethod(pmParam.billing_details);
            if (pm.error) return { error: pm.error };
            pmParam = pm.id;
          } else {
            // Raw payment_method_data (e.g. {card: {token}}): pass through for the server to judge.
            d.payment_method_data = Object.assign({ type: 'card' }, pmParam);
            pmParam = undefined;
          }
        }
        if (d.payment_method_options && d.payment_method_options.card && isElement(d.payment_method_options.card.cvc)) {
          delete d.payment_method_options.card.cvc;
        }
        const params = Object.assign({}, d);
        if (pmParam) params.payment_method = pmParam;
        return confirmAndHandle(clientSecret, params, handle);
      },

      async retrievePaymentIntent(clientSecret) {
        assertClientSecret(clientSecret, 'stripe.retrievePaymentIntent()');
        const r = await api.getPaymentIntent(clientSecret);
        if (r.error) return { error: r.error };
        return { paymentIntent: r.data };
      },

      // For a PaymentIntent the server confirmed: only one in `requires_action`; "it will throw
      // an error if the PaymentIntent has a different status"
      // (https://docs.stripe.com/js/payment_intents/handle_next_action).
      async handleNextAction(options) {
        const clientSecret = options && options.clientSecret;
        assertClientSecret(clientSecret, 'stripe.handleNextAction()');
        const r = await api.getPaymentIntent(clientSecret);
        if (r.error) return { error: r.error };
        if (!r.data || r.data.status !== 'requires_action') {
          throw integrationError(
            `stripe.handleNextAction(): the PaymentIntent has a status of ${r.data && r.data.status}; only a PaymentIntent with the status requires_action has a next action to handle.`,
          );
        }
        return handleActions(r.data, clientSecret);
      },

      async handleCardAction(clientSecret) {
        assertClientSecret(clientSecret, 'stripe.handleCardAction()');
        const r = await api.getPaymentIntent(clientSecret);
        if (r.error) return { error: r.error };
        return handleActions(r.data, clientSecret);
      },

      async createPaymentMethod(arg) {
        const a = arg || {};
        if (a.elements) {
          const gstate = a.elements._state;
          const el = gstate && (gstate.elements.get('payment') || gstate.elements.get('card'));
          if (!el || !el._isMounted()) throw integrationError('createPaymentMethod(): no mounted Element was found.');
          if (gstate.options.mode && !gstate.submitted) {
            throw integrationError('elements.submit() must be called before createPaymentMethod().');
          }
          const billing = a.params && a.params.billing_details;
          const pm = await el._createPaymentMethod(billing);
          if (pm.error) return { error: pm.error };
          gstate.submitted = false;
          return { paymentMethod: pm.paymentMethod || { id: pm.id, object: 'payment_method', type: 'card' } };
        }
        if (isElement(a.card)) {
          const v = await a.card._validate();
          if (v.error) return { error: v.error };
          const pm = await a.card._createPaymentMethod(a.billing_details);
          if (pm.error) return { error: pm.error };
          return { paymentMethod: pm.paymentMethod || { id: pm.id, object: 'payment_method', type: 'card' } };
        }
        throw integrationError('createPaymentMethod(): pass {elements} or {type: "card", card: cardElement}.');
      },

      /**
       * Deferred intents: collects the Payment Element's details into a ConfirmationToken the
       * shop's server confirms a PaymentIntent with
       * (https://docs.stripe.com/js/confirmation_tokens/create_confirmation_token).
       */
      async createConfirmationToken(options) {
        const o = options || {};
        const elements = o.elements;
        if (!(elements && elements.__stripeSimElements)) {
          throw integrationError('Invalid value for createConfirmationToken(): elements should be an Elements group.');
        }
        const gstate = elements._state;
        if (!gstate.options.mode) {
          throw integrationError(
            'stripe.createConfirmationToken(): the Elements group must be created with `mode` (and without a clientSecret).',
          );
        }
        if (gstate.elements.has('card')) {
          throw integrationError(
            'createConfirmationToken only supports the Payment Element. Use stripe.createPaymentMethod() with a Card Element.',
          );
        }
        const el = gstate.elements.get('payment');
        if (!el || !el._isMounted()) {
          throw integrationError('stripe.createConfirmationToken(): the Payment Element must be mounted.');
        }
        if (!gstate.submitted) {
          throw integrationError(
            'elements.submit() must be called before stripe.createConfirmationToken(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work.',
          );
        }
        const params = o.params || {};
        const pmData = params.payment_method_data || {};
        const billing = pmData.billing_details;
        const pm = await el._createPaymentMethod(billing);
        if (pm.error) return { error: pm.error };
        gstate.submitted = false;
        const opts = gstate.options;
        const config = { mode: opts.mode };
        if (opts.amount !== undefined) config.amount = opts.amount;
        if (opts.currency !== undefined) config.currency = String(opts.currency).toLowerCase();
        if (opts.captureMethod) config.capture_method = opts.captureMethod;
        if (opts.setupFutureUsage) config.setup_future_usage = opts.setupFutureUsage;
        if (Array.isArray(opts.paymentMethodTypes)) config.payment_method_types = opts.paymentMethodTypes;
        const body = { payment_method: pm.id, elements: config };
        if (params.return_url) body.return_url = params.return_url;
        if (params.shipping) body.shipping = params.shipping;
        if (billing) body.payment_method_data = { billing_details: billing };
        const r = await api.createConfirmationToken(body);
        if (r.error) return { error: r.error };
        return { confirmationToken: r.data };
      },

      registerAppInfo() {},
      _registerWrapper() {},
    };
    return stripe;
  }

  Stripe.version = 3;
  Object.defineProperty(Stripe, '__stripeSim', { value: { base: BASE } });
  window.Stripe = Stripe;
})();
