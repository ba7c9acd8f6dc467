use crate::domain::order::OrderStatus;

/// The badge class for an order status.
pub fn badge(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Paid => "badge badge-paid",
        OrderStatus::Pending => "badge badge-pending",
        OrderStatus::Processing => "badge badge-processing",
        OrderStatus::PaymentFailed => "badge badge-failed",
        OrderStatus::Canceled => "badge badge-canceled",
        OrderStatus::PartiallyRefunded | OrderStatus::Refunded => "badge badge-refunded",
        OrderStatus::Disputed | OrderStatus::DisputeLost | OrderStatus::NeedsReview => {
            "badge badge-disputed"
        }
    }
}
