from libs.entrypoint import serve
from services.orders.app import create_app
from services.orders.settings import OrdersSettings

serve(create_app, OrdersSettings())
