from libs.entrypoint import serve
from services.fulfillment.app import create_app
from services.fulfillment.settings import FulfillmentSettings

serve(create_app, FulfillmentSettings())
