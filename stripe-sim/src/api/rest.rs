//! Stripe's REST endpoints under `/v1`: PaymentIntents, PaymentMethods, Charges, Refunds,
//! Disputes, Events and webhook endpoints. Each handler is one operation on the account.

use super::pipeline::handler;
use crate::engine::{ObjectKind, Params};
use crate::model::ApiError;
use serde_json::{json, Value};

handler!(create_payment_intent, [Secret], |account, ctx| account
    .create_payment_intent(&ctx.params(), &ctx.base_url));
handler!(
    retrieve_payment_intent,
    [Secret, Publishable],
    |account, ctx, id| {
        ctx.check_client_secret(account, &id)?;
        account.render_pi(&id, ctx.view, &ctx.params().expand())
    }
);
handler!(update_payment_intent, [Secret], |account, ctx, id| account
    .update_payment_intent(&id, &ctx.params()));
handler!(
    confirm_payment_intent,
    [Secret, Publishable],
    |account, ctx, id| {
        ctx.check_client_secret(account, &id)?;
        let params = ctx.without_client_secret();
        account.confirm_payment_intent(&id, &Params(&params), ctx.view, &ctx.base_url)
    }
);
handler!(cancel_payment_intent, [Secret], |account, ctx, id| account
    .cancel_payment_intent(&id, &ctx.params()));
handler!(capture_payment_intent, [Secret], |account, ctx, id| account
    .capture_payment_intent(&id, &ctx.params()));
handler!(list_payment_intents, [Secret], |account, ctx| account
    .list_payment_intents(&ctx.params()));
handler!(
    create_payment_method,
    [Secret, Publishable],
    |account, ctx| account.create_payment_method(&ctx.params())
);
handler!(retrieve_payment_method, [Secret], |account, _ctx, id| {
    account
        .payment_methods
        .get(&id)
        .map(|pm| pm.to_json())
        .ok_or_else(|| ApiError::not_found("PaymentMethod", &id))
});
handler!(retrieve_charge, [Secret], |account, ctx, id| account
    .render_charge(&id, &ctx.params().expand()));
handler!(create_refund, [Secret], |account, ctx| account
    .create_refund(&ctx.params()));
handler!(list_refunds, [Secret], |account, ctx| account
    .list_refunds(&ctx.params()));
handler!(retrieve_refund, [Secret], |account, _ctx, id| {
    account
        .refunds
        .get(&id)
        .map(|r| r.to_json())
        .ok_or_else(|| ApiError::not_found("refund", &id))
});
handler!(update_refund, [Secret], |account, ctx, id| {
    ctx.params().only(&["metadata", "expand"])?;
    let mut metadata = account
        .refunds
        .get(&id)
        .ok_or_else(|| ApiError::not_found("refund", &id))?
        .metadata
        .clone();
    ctx.params().metadata_into(&mut metadata)?;
    let refund = account
        .refunds
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("refund", &id))?;
    refund.metadata = metadata;
    let json = refund.to_json();
    account.dirty.insert((ObjectKind::Refund, id.clone()));
    Ok(json)
});
handler!(list_disputes, [Secret], |account, ctx| account
    .list_disputes(&ctx.params()));
handler!(retrieve_dispute, [Secret], |account, ctx, id| account
    .render_dispute(&id, &ctx.params().expand()));
handler!(list_events, [Secret], |account, ctx| account
    .list_events(&ctx.params()));
handler!(retrieve_event, [Secret], |account, _ctx, id| {
    account
        .events
        .get(&id)
        .map(|e| e.to_json())
        .ok_or_else(|| ApiError::not_found("event", &id))
});
handler!(create_endpoint, [Secret], |account, ctx| account
    .create_endpoint(&ctx.params(), None));
handler!(list_endpoints, [Secret], |account, _ctx| {
    let data: Vec<Value> = account
        .endpoints
        .values()
        .map(|e| e.to_json(false))
        .collect();
    Ok(json!({"object": "list", "data": data, "has_more": false, "url": "/v1/webhook_endpoints"}))
});
handler!(retrieve_endpoint, [Secret], |account, _ctx, id| {
    account
        .endpoints
        .get(&id)
        .map(|e| e.to_json(false))
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id))
});
handler!(update_endpoint, [Secret], |account, ctx, id| account
    .update_endpoint(&id, &ctx.params()));
handler!(delete_endpoint, [Secret], |account, _ctx, id| {
    account
        .endpoints
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id))?;
    account.dirty.insert((ObjectKind::Endpoint, id.clone()));
    Ok(json!({"id": id, "object": "webhook_endpoint", "deleted": true}))
});
handler!(create_confirmation_token, [Publishable], |account, ctx| {
    account.create_confirmation_token_from_elements(&ctx.params())
});
handler!(retrieve_confirmation_token, [Secret], |account, ctx, id| {
    account.retrieve_confirmation_token(&id, &ctx.params())
});
handler!(create_test_confirmation_token, [Secret], |account, ctx| {
    account.create_test_confirmation_token(&ctx.params())
});
handler!(create_checkout_session, [Secret], |account, ctx| account
    .create_checkout_session(&ctx.params(), &ctx.base_url));
handler!(list_checkout_sessions, [Secret], |account, ctx| {
    account.expire_due_checkout_sessions();
    account.list_checkout_sessions(&ctx.params())
});
handler!(retrieve_checkout_session, [Secret], |account, ctx, id| {
    ctx.params().only(&["expand"])?;
    account.expire_due_checkout_sessions();
    account.render_checkout_session(&id, &ctx.params().expand())
});
handler!(expire_checkout_session, [Secret], |account, ctx, id| {
    account.expire_due_checkout_sessions();
    account.expire_checkout_session(&id, &ctx.params())
});
handler!(
    list_checkout_session_line_items,
    [Secret],
    |account, ctx, id| account.list_session_line_items(&id, &ctx.params())
);
