// The PayPal simulator's stand-in for the PayPal JS SDK (https://www.paypal.com/sdk/js, v5):
// `paypal.Buttons({createOrder, onApprove, onCancel, onError, onClick, onInit})` with
// `render(selector|element)`, `isEligible()`, `close()`. The button is
// `[data-funding-source="paypal"]` inside a container titled "PayPal". A click opens a popup at
// once (so popup blockers stay quiet), runs createOrder, checks the order's currency and
// intent against this script's `currency=`/`intent=` like PayPal, and shows the simulator's
// approval page (/checkoutnow?token=ID). Its answer comes back by postMessage, checked for the
// simulator's origin and the popup window; a popup the buyer closes is a cancel.
// No inline styles: the button's look comes from /sdk/buttons.css.
(function () {
  'use strict';
  // The script that loaded us: currentScript, or (for module or late evaluation) the last
  // script element whose src is an /sdk/js URL.
  var script = document.currentScript;
  if (!script || !/\/sdk\/js(\?|$)/.test(script.src || '')) {
    var candidates = document.querySelectorAll('script[src*="/sdk/js"]');
    script = candidates.length ? candidates[candidates.length - 1] : null;
  }
  var src = new URL(script ? script.src : '', window.location.href);
  var base = src.href.replace(/\/sdk\/js(\?.*)?$/, '');
  var simOrigin = src.origin;
  var params = src.searchParams;
  var currency = (params.get('currency') || 'USD').toUpperCase();
  var intent = (params.get('intent') || 'capture').toUpperCase();
  var namespace = (script && script.getAttribute('data-namespace')) || 'paypal';

  function ensureCss() {
    if (document.querySelector('link[data-paypal-sim-css]')) return;
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = base + '/sdk/buttons.css';
    link.setAttribute('data-paypal-sim-css', '');
    var nonce = script && script.getAttribute('data-csp-nonce');
    if (nonce) link.setAttribute('nonce', nonce);
    document.head.appendChild(link);
  }

  function asError(e) {
    return e instanceof Error ? e : new Error(String(e));
  }

  function checkOrder(orderID) {
    return fetch(base + '/checkoutnow/order?token=' + encodeURIComponent(orderID), { credentials: 'omit' })
      .then(function (r) {
        if (!r.ok) throw new Error('Order ' + orderID + ' could not be found');
        return r.json();
      })
      .then(function (o) {
        if (o.currency_code !== currency) {
          throw new Error('Expected currency from order api call to be ' + currency + ', got ' + o.currency_code +
            '. Please ensure you are passing currency=' + o.currency_code + ' to the sdk url.');
        }
        if (o.intent !== intent) {
          throw new Error('Expected intent from order api call to be ' + intent.toLowerCase() + ', got ' +
            String(o.intent).toLowerCase() + '. Please ensure you are passing intent=' + String(o.intent).toLowerCase() +
            ' to the sdk url.');
        }
        return o;
      });
  }

  function openPopup() {
    return window.open('about:blank', 'paypal_sim_checkout', 'popup=yes,width=500,height=700');
  }

  // Resolves with {payerID} when the buyer approves, null when they cancel or close the popup.
  function waitFor(win, orderID) {
    return new Promise(function (resolve) {
      var settled = false;
      var timer = null;
      function finish(value) {
        if (settled) return;
        settled = true;
        window.removeEventListener('message', onMessage);
        clearInterval(timer);
        resolve(value);
      }
      function onMessage(ev) {
        if (ev.origin !== simOrigin || ev.source !== win) return;
        var d = ev.data;
        if (!d || d.type !== 'paypal-sim' || d.orderID !== orderID) return;
        finish(d.approved ? { payerID: d.payerID } : null);
      }
      window.addEventListener('message', onMessage);
      timer = setInterval(function () {
        // A message posted just before closing arrives first; give it a moment.
        if (win.closed) setTimeout(function () { finish(null); }, 100);
      }, 250);
    });
  }

  function Buttons(opts) {
    opts = opts || {};
    var container = null;
    var gone = false;
    var busy = false;
    var popup = null;

    function report(err) {
      err = asError(err);
      if (typeof opts.onError === 'function') {
        try { opts.onError(err); } catch (e) { console.error(e); }
      } else {
        console.error(err);
      }
    }

    function isGone() {
      return gone || !container || !container.isConnected;
    }

    function approveFlow(win, orderID) {
      popup = win;
      win.location.href = base + '/checkoutnow?token=' + encodeURIComponent(orderID) +
        '&origin=' + encodeURIComponent(window.location.origin);
      return waitFor(win, orderID).then(function (result) {
        popup = null;
        if (!result) {
          if (typeof opts.onCancel === 'function') return opts.onCancel({ orderID: orderID });
          return undefined;
        }
        if (typeof opts.onApprove !== 'function') return undefined;
        var data = {
          orderID: orderID,
          payerID: result.payerID,
          paymentID: null,
          facilitatorAccessToken: 'sim',
          paymentSource: 'paypal'
        };
        return opts.onApprove(data, actionsFor(orderID));
      });
    }

    function actionsFor(orderID) {
      return {
        // Shows the approval page again for the same order (after INSTRUMENT_DECLINED);
        // resolves once the buyer approved again and onApprove ran again.
        restart: function () {
          if (isGone()) throw new Error('Can not restart: the PayPal buttons are no longer on the page');
          var win = openPopup();
          if (!win) return Promise.reject(new Error('Popup blocked: allow popups to pay with PayPal'));
          return approveFlow(win, orderID).catch(function (e) { report(e); });
        },
        redirect: function (url) { window.location.href = url; },
        order: {
          get: function () {
            return fetch(base + '/checkoutnow/order?token=' + encodeURIComponent(orderID)).then(function (r) { return r.json(); });
          },
          capture: function () {
            return Promise.reject(new Error('actions.order.capture is not available in the PayPal simulator: capture on your server'));
          }
        }
      };
    }

    function onClick(ev) {
      ev.preventDefault();
      if (busy) {
        if (popup && !popup.closed) popup.focus();
        return;
      }
      var rejected = false;
      var verdict;
      if (typeof opts.onClick === 'function') {
        verdict = opts.onClick({ fundingSource: 'paypal' }, {
          resolve: function () { return Promise.resolve(); },
          reject: function () { rejected = true; return Promise.resolve(); }
        });
        if (verdict === false || rejected) return;
      }
      var win = openPopup();
      if (!win) {
        report(new Error('Popup blocked: allow popups to pay with PayPal'));
        return;
      }
      busy = true;
      Promise.resolve(verdict)
        .then(function (v) {
          if (v === false || rejected) {
            win.close();
            return undefined;
          }
          if (typeof opts.createOrder !== 'function') throw new Error('Expected createOrder to be passed');
          return Promise.resolve(opts.createOrder({ paymentSource: 'paypal' }, {
            order: {
              create: function () {
                return Promise.reject(new Error('actions.order.create is not available in the PayPal simulator: create the order on your server'));
              }
            }
          })).then(function (orderID) {
            if (typeof orderID !== 'string' || !orderID) throw new Error('Expected an order id to be passed');
            return checkOrder(orderID).then(function () { return approveFlow(win, orderID); });
          });
        })
        .catch(function (e) {
          try { if (!win.closed) win.close(); } catch (_) { /* gone */ }
          report(e);
        })
        .then(function () { busy = false; });
    }

    return {
      render: function (target) {
        return new Promise(function (resolve, reject) {
          var el = typeof target === 'string' ? document.querySelector(target) : target;
          if (!el || typeof el.appendChild !== 'function') {
            reject(new Error('Document is ready and element ' + String(target) + ' does not exist'));
            return;
          }
          ensureCss();
          container = document.createElement('div');
          container.className = 'paypal-buttons paypal-sim-buttons';
          container.setAttribute('title', 'PayPal');
          var button = document.createElement('button');
          button.type = 'button';
          button.setAttribute('data-funding-source', 'paypal');
          button.setAttribute('aria-label', 'PayPal');
          button.textContent = 'PayPal';
          button.addEventListener('click', onClick);
          container.appendChild(button);
          el.appendChild(container);
          gone = false;
          if (typeof opts.onInit === 'function') {
            try {
              opts.onInit({}, {
                enable: function () { button.disabled = false; return Promise.resolve(); },
                disable: function () { button.disabled = true; return Promise.resolve(); }
              });
            } catch (e) { report(e); }
          }
          resolve();
        });
      },
      isEligible: function () { return true; },
      close: function () {
        gone = true;
        if (container && container.parentNode) container.parentNode.removeChild(container);
        container = null;
        return Promise.resolve();
      },
      updateProps: function (props) {
        Object.keys(props || {}).forEach(function (k) { opts[k] = props[k]; });
        return Promise.resolve();
      },
      hasReturned: function () { return false; },
      resume: function () {}
    };
  }

  window[namespace] = {
    Buttons: Buttons,
    FUNDING: { PAYPAL: 'paypal', CARD: 'card', VENMO: 'venmo', PAYLATER: 'paylater', CREDIT: 'credit' },
    version: '5.0.0-paypal-sim'
  };
})();
