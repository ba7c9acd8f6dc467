//! Live order status: the webhook publishes each committed change; `GET /orders/{id}/events`
//! streams it (Server-Sent Events), starting with the status as it is now, so a reconnect is
//! always right.

use super::db::{self, WebhookOutcome};
use super::AppState;
use crate::domain::order::OrderStatus;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;

#[derive(Clone, Debug)]
pub struct OrderUpdate {
    pub order_id: String,
    pub status: OrderStatus,
}

pub fn publish(state: &AppState, outcome: &WebhookOutcome) {
    if let WebhookOutcome::Order {
        order_id,
        status,
        changed: true,
    } = outcome
    {
        // No subscriber is fine: nobody is watching this order right now.
        let _ = state.updates.send(OrderUpdate {
            order_id: order_id.clone(),
            status: *status,
        });
    }
}

fn event(status: OrderStatus) -> Event {
    Event::default().event("status").data(status.as_str())
}

/// Live streams open at once; past this, new ones are refused (503) and the page polls instead.
pub const MAX_STREAMS: usize = 1000;

pub async fn order_events(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(permit) = state.streams.clone().try_acquire_owned() else {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    // Subscribe first, then read: no change can slip between the two.
    let updates = BroadcastStream::new(state.updates.subscribe());
    let current = match db::order_by_id(&state.pool, &id).await {
        Ok(Some(order)) => order.status,
        Ok(None) => return axum::http::StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "order events");
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // Lagged behind (an update was missed): the stream ends, the browser reconnects and gets
    // the status as it is now first.
    let changes = updates
        .take_while(|update| std::future::ready(update.is_ok()))
        .filter_map(move |update| {
            let id = id.clone();
            async move {
                match update {
                    Ok(u) if u.order_id == id => Some(Ok::<_, Infallible>(event(u.status))),
                    _ => None,
                }
            }
        })
        // The stream holds its place among the open ones until it ends.
        .map(move |e| {
            let _held = &permit;
            e
        });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(stream::once(async move { Ok(event(current)) }).chain(changes));
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
