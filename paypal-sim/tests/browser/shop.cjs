// A minimal "shop" for the browser test of the PayPal simulator's JS SDK stand-in: a page on
// its own origin under a strict Content-Security-Policy that loads /sdk/js from the simulator,
// and a server side that creates and captures orders with the REST API (the recommended
// server-side integration, https://developer.paypal.com/docs/checkout/standard/integrate/).
'use strict';
const http = require('http');

function startShop({ sim, clientId, secret, port = 0 }) {
  let token = null;
  async function accessToken() {
    if (token) return token;
    const r = await fetch(`${sim}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    token = (await r.json()).access_token;
    return token;
  }
  async function paypal(method, path, body) {
    const r = await fetch(`${sim}${path}`, {
      method,
      headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }

  const appJs = `
    'use strict';
    var params = new URLSearchParams(location.search);
    var orderCurrency = params.get('orderCurrency') || params.get('currency') || 'USD';
    function log(text) {
      var li = document.createElement('li');
      li.textContent = text;
      document.getElementById('log').appendChild(li);
    }
    paypal.Buttons({
      createOrder: function () {
        if (params.get('failCreate')) return Promise.reject(new Error('shop could not create the order'));
        return fetch('/api/orders?currency=' + orderCurrency, { method: 'POST' })
          .then(function (r) { return r.json(); })
          .then(function (o) { log('created ' + o.id); return o.id; });
      },
      onApprove: function (data, actions) {
        log('approved ' + data.orderID + ' payer ' + data.payerID);
        return fetch('/api/orders/' + data.orderID + '/capture', { method: 'POST' })
          .then(function (r) { return r.json(); })
          .then(function (res) {
            var d = res.details && res.details[0];
            if (d && d.issue === 'INSTRUMENT_DECLINED') { log('declined'); return actions.restart(); }
            if (d) throw new Error(d.description + ' (' + res.debug_id + ')');
            log('captured ' + res.purchase_units[0].payments.captures[0].status);
          });
      },
      onCancel: function (data) { log('cancelled ' + data.orderID); },
      onError: function (err) { log('error ' + err.message); }
    }).render('#paypal-button-container').then(function () { log('rendered'); });
  `;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    try {
      if (req.method === 'GET' && url.pathname === '/') {
        const currency = url.searchParams.get('currency') || 'USD';
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'self'; script-src 'self' ${sim}; style-src 'self' ${sim}; connect-src 'self' ${sim}; frame-src ${sim}; img-src 'self' ${sim}`,
        });
        res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="${sim}/sdk/js?client-id=${encodeURIComponent(clientId)}&currency=${currency}&intent=capture"></script>
<script src="/app.js" defer></script></head>
<body><div id="paypal-button-container"></div><ol id="log"></ol></body></html>`);
      } else if (req.method === 'GET' && url.pathname === '/app.js') {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(appJs);
      } else if (req.method === 'POST' && url.pathname === '/api/orders') {
        const currency = url.searchParams.get('currency') || 'USD';
        const value = currency === 'JPY' ? '1000' : '10.00';
        const r = await paypal('POST', '/v2/checkout/orders', {
          intent: 'CAPTURE',
          purchase_units: [{ amount: { currency_code: currency, value } }],
        });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
      } else if (req.method === 'POST' && /^\/api\/orders\/[A-Z0-9]+\/capture$/.test(url.pathname)) {
        const id = url.pathname.split('/')[3];
        const r = await paypal('POST', `/v2/checkout/orders/${id}/capture`, {});
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.body));
      } else {
        res.writeHead(404);
        res.end();
      }
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

module.exports = { startShop };
