// The PayPal simulator's approval page (/checkoutnow?token=ORDER_ID): the buyer picks what
// pays and approves or cancels. Opened in a popup by the SDK stand-in (/sdk/js), it answers its
// opener with postMessage({type: 'paypal-sim', orderID, approved, payerID}) to the origin the
// SDK named in `origin=`, then closes. Opened by a redirect (an order with a return_url), it
// goes to return_url?token=…&PayerID=… or cancel_url?token=….
(function () {
  'use strict';
  var root = document.getElementById('checkout');
  if (!root) return;
  var orderID = root.getAttribute('data-order-id');
  var payable = root.getAttribute('data-payable') === 'true';
  var cancelUrl = root.getAttribute('data-cancel-url');
  var openerOrigin = new URLSearchParams(window.location.search).get('origin');
  var form = document.getElementById('approve-form');
  var payBtn = document.getElementById('payment-submit-btn');
  var cancelBtn = document.getElementById('cancel-btn');
  var notice = document.getElementById('notice');
  var done = false;

  if (!payable) form.classList.add('hidden');

  function tellOpener(message) {
    if (!window.opener || !openerOrigin) return false;
    message.type = 'paypal-sim';
    message.orderID = orderID;
    try {
      window.opener.postMessage(message, openerOrigin);
    } catch (e) {
      return false;
    }
    return true;
  }

  function finished(text) {
    form.classList.add('hidden');
    notice.textContent = text;
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (done) return;
    var checked = form.querySelector('input[name="funding"]:checked');
    var funding = checked ? checked.value : 'balance';
    payBtn.disabled = true;
    cancelBtn.disabled = true;
    fetch('checkoutnow/approve?token=' + encodeURIComponent(orderID), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ funding: funding })
    })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (!res.ok) {
          var d = res.body && res.body.details && res.body.details[0];
          throw new Error((d && d.description) || (res.body && res.body.message) || 'Approval failed');
        }
        done = true;
        if (tellOpener({ approved: true, payerID: res.body.payerID })) {
          window.close();
          return;
        }
        if (res.body.returnUrl) {
          window.location.href = res.body.returnUrl;
          return;
        }
        finished('Payment approved. You can close this window.');
      })
      .catch(function (e) {
        notice.textContent = e.message;
        payBtn.disabled = false;
        cancelBtn.disabled = false;
      });
  });

  cancelBtn.addEventListener('click', function () {
    if (done) return;
    done = true;
    if (tellOpener({ approved: false, cancelled: true })) {
      window.close();
      return;
    }
    if (cancelUrl) {
      window.location.href = cancelUrl + (cancelUrl.indexOf('?') >= 0 ? '&' : '?') + 'token=' + encodeURIComponent(orderID);
      return;
    }
    finished('Payment cancelled. You can close this window.');
  });
})();
