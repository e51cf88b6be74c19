//! Which of the spec's generated `...Response` envelopes each success payload
//! goes out in. The envelopes are filled here, field by field, so a `data` or
//! `meta` renamed in the spec (or an envelope renamed or dropped) stops the
//! sandbox's build; the contract check then confirms at run time that each
//! operation answers with the envelope its spec names.

use serde::Serialize;

use crate::shapes::*;

/// A success payload and the envelope the spec wraps it in.
pub(crate) trait Payload {
    /// `Meta`, or `ListMeta` for a paginated list.
    type Meta;
    type Envelope: Serialize;
    fn wrap(self, meta: Self::Meta) -> Self::Envelope;
}

/// `payload => Envelope(MetaType)`; `[field, ...]` lists the envelope's
/// other members, which a success leaves out.
macro_rules! envelopes {
    ($($data:ty => $envelope:ident($meta:ty) $([$($absent:ident),*])?;)*) => {$(
        impl Payload for $data {
            type Meta = $meta;
            type Envelope = $envelope;
            fn wrap(self, meta: $meta) -> $envelope {
                $envelope {
                    data: self.into(),
                    meta: meta.into(),
                    $($($absent: None,)*)?
                }
            }
        }
    )*};
}

envelopes! {
    // One object.
    ApiKeyData => ApiKeyResponse(Meta);
    BatchCreateResponseData => BatchCreateResponse(Meta);
    CheckoutSessionData => CheckoutSessionResponse(Meta);
    CreateAccessCodeData => CreateAccessCodeResponse(Meta);
    CreateApiKeyData => CreateApiKeyResponse(Meta);
    CreateQurlData => CreateQurlResponse(Meta);
    CustomerData => CustomerResponse(Meta);
    DomainData => DomainResponse(Meta);
    DomainVerifyData => DomainVerifyResponse(Meta);
    MintLinkData => MintLinkResponse(Meta);
    PortalSessionData => PortalSessionResponse(Meta);
    QuotaData => QuotaResponse(Meta);
    QurlData => QurlResponse(Meta);
    QurlSummary => QurlSummaryResponse(Meta);
    RedeemAccessCodeData => RedeemAccessCodeResponse(Meta);
    ResolveQurlData => ResolveQurlResponse(Meta) [error];
    ResourceData => ResourceResponse(Meta);
    ResourceDetailData => ResourceDetailResponse(Meta);
    SessionTerminateResponseData => SessionTerminateResponse(Meta);
    UsageCurrentPeriodData => UsageCurrentPeriodResponse(Meta);
    UsageDailyData => UsageDailyResponse(Meta);
    WebhookData => WebhookResponse(Meta);
    WebhookDataWithSecret => WebhookResponseWithSecret(Meta);
    // A whole list.
    Vec<AccessCodeData> => AccessCodeListResponse(Meta);
    Vec<SessionData> => SessionListResponse(Meta);
    Vec<WebhookEventTypeInfo> => WebhookEventTypesResponse(Meta);
    // A page of a list.
    InvoiceListData => InvoiceListResponse(ListMeta);
    Vec<ApiKeyData> => ApiKeyListResponse(ListMeta);
    Vec<ConnectorInstallationSummary> => ConnectorInstallationListResponse(ListMeta);
    Vec<DomainData> => DomainListResponse(ListMeta);
    Vec<QurlData> => QurlListResponse(ListMeta);
    Vec<ResourceData> => ResourceListResponse(ListMeta);
    Vec<WebhookData> => WebhookListResponse(ListMeta);
    Vec<WebhookDeliveryData> => WebhookDeliveryListResponse(ListMeta);
}
